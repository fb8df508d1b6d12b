import { useState, type FormEvent } from 'react';
import { call, type Body, type Reply } from '../api/client';
import { istDayStart, istToday } from '../dates';
import { useI18n } from '../i18n';
import { formatBps, formatPaise, parsePercent, parseRupees, rupeesText } from '../money';
import { FormInPlace, ErrorText, Field, Loaded, Money, SubmitButton, useAction, useAsync } from '../ui';
import { ProviderDefinitionForm } from './provider-definition';

type Operator = Reply<'getOperators'>['items'][number];
type Rule = Reply<'getRiskRules'>['items'][number];
type Provider = Reply<'getProviders'>['items'][number];

/**
 * Admin configuration: operators' limits, providers' routes, risk rules, commission plans (create,
 * edit, assign) and the month's compliance reports.
 */
export function ConfigPage() {
  const { t } = useI18n();
  const operators = useAsync(() => call<'getOperators'>('GET', '/v1/operators'), []);
  const rules = useAsync(() => call<'getRiskRules'>('GET', '/v1/risk/rules'), []);
  return (
    <>
      <section className="card">
        <h2>{t('operators')}</h2>
        <Loaded state={operators}>
          {(o) => (
            <ul className="rows">
              {o.items.map((op) => (
                <OperatorRow key={op.code} op={op} />
              ))}
            </ul>
          )}
        </Loaded>
      </section>
      <Providers />
      <section className="card">
        <h2>{t('riskRules')}</h2>
        <Loaded state={rules}>
          {(r) => (
            <ul className="rows">
              {r.items.map((rule) => (
                <RuleRow key={rule.id} rule={rule} />
              ))}
            </ul>
          )}
        </Loaded>
      </section>
      <CommissionPlans />
      <Compliance />
    </>
  );
}

function OperatorRow({ op }: { op: Operator }) {
  const { t } = useI18n();
  const [enabled, setEnabled] = useState(op.enabled);
  const [min, setMin] = useState(rupeesText(op.minAmount));
  const [max, setMax] = useState(rupeesText(op.maxAmount));
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const minAmount = parseRupees(min);
    const maxAmount = parseRupees(max);
    if (minAmount === undefined || maxAmount === undefined) {
      action.setError(t('invalidAmount'));
      return;
    }
    void action.run(async () => {
      await call<'putOperatorsByCode'>('PUT', `/v1/operators/${op.code}`, { body: { enabled, minAmount, maxAmount } });
      setSaved(true);
    });
  };
  return (
    <li className="row">
      <form className="inline" onSubmit={submit} aria-label={op.name}>
        <strong>
          {op.name} ({op.kind})
        </strong>
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t('enabled')}
        </label>
        <Field label={`${t('minimum')} (₹)`}>
          <input inputMode="decimal" required value={min} onChange={(e) => setMin(e.target.value)} />
        </Field>
        <Field label={`${t('maximum')} (₹)`}>
          <input inputMode="decimal" required value={max} onChange={(e) => setMax(e.target.value)} />
        </Field>
        <SubmitButton busy={action.busy}>{t('save')}</SubmitButton>
        {saved && <span role="status">{t('saved')}</span>}
      </form>
      <ErrorText error={action.error} />
    </li>
  );
}

function RuleRow({ rule }: { rule: Rule }) {
  const { t } = useI18n();
  const [enabled, setEnabled] = useState(rule.enabled);
  const [threshold, setThreshold] = useState(String(rule.threshold));
  const [ruleAction, setRuleAction] = useState(rule.action);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    if (!/^\d+$/.test(threshold)) {
      action.setError(t('wholeNumber'));
      return;
    }
    void action.run(async () => {
      await call<'putRiskRulesById'>('PUT', `/v1/risk/rules/${rule.id}`, {
        body: { enabled, threshold: Number(threshold), action: ruleAction },
      });
      setSaved(true);
    });
  };
  const scope = [
    rule.role,
    rule.userId,
    rule.band && `${formatPaise(rule.band.minPaise)}–${formatPaise(rule.band.maxPaise)}`,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <li className="row">
      <form className="inline" onSubmit={submit} aria-label={rule.kind}>
        <strong>{rule.kind.replace(/_/g, ' ')}</strong>
        {scope && <span>{scope}</span>}
        {rule.window !== null && <span>{rule.window}s</span>}
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t('enabled')}
        </label>
        <Field label={t('threshold')}>
          <input inputMode="numeric" required value={threshold} onChange={(e) => setThreshold(e.target.value)} />
        </Field>
        <Field label={t('action')}>
          <select value={ruleAction} onChange={(e) => setRuleAction(e.target.value as Rule['action'])}>
            <option value="block">block</option>
            <option value="review">review</option>
            <option value="flag">flag</option>
          </select>
        </Field>
        <SubmitButton busy={action.busy}>{t('save')}</SubmitButton>
        {saved && <span role="status">{t('saved')}</span>}
      </form>
      <ErrorText error={action.error} />
    </li>
  );
}

function Compliance() {
  const { t } = useI18n();
  const [month, setMonth] = useState(istToday().slice(0, 7));
  const [shown, setShown] = useState(month);
  const str = useAsync(
    () => call<'getComplianceStrCandidates'>('GET', '/v1/compliance/str-candidates', { query: { month: shown } }),
    [shown],
  );
  const ctr = useAsync(
    () => call<'getComplianceCtr'>('GET', '/v1/compliance/ctr', { query: { month: shown } }),
    [shown],
  );
  const show = (e: FormEvent) => {
    e.preventDefault();
    setShown(month);
  };
  const list = (title: string, state: typeof str) => (
    <>
      <h3>{title}</h3>
      <Loaded state={state}>
        {(r) =>
          r.items.length === 0 ? (
            <p>{t('noEntries')}</p>
          ) : (
            <ul>
              {r.items.map((i, n) => (
                <li key={n}>
                  {i.name} ({i.role}) · {i.reason} {i.direction ?? ''} · <Money paise={i.amount} />
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </>
  );
  return (
    <section className="card">
      <h2>{t('compliance')}</h2>
      <form className="filters" onSubmit={show}>
        <Field label={t('month')}>
          <input type="month" value={month} onChange={(e) => setMonth(e.target.value)} required />
        </Field>
        <SubmitButton busy={str.loading}>{t('show')}</SubmitButton>
      </form>
      {list(t('strCandidates'), str)}
      {list(t('ctr'), ctr)}
    </section>
  );
}

function Providers() {
  const { t } = useI18n();
  const providers = useAsync(() => call<'getProviders'>('GET', '/v1/providers'), []);
  return (
    <section className="card">
      <h2>{t('providers')}</h2>
      <Loaded state={providers}>
        {(p) => (
          <ul className="rows">
            {p.items.map((pr) => (
              <ProviderRoutes key={`${pr.name} ${pr.updatedAt}`} provider={pr} onChange={providers.reload} />
            ))}
          </ul>
        )}
      </Loaded>
      <FormInPlace
        text={t('newProvider')}
        form={(done) => <ProviderDefinitionForm onDone={done} />}
        onDone={providers.reload}
      />
    </section>
  );
}

function ProviderRoutes({ provider, onChange }: { provider: Provider; onChange: () => void }) {
  const { t } = useI18n();
  const [routes, setRoutes] = useState(provider.routes.map((r) => ({ ...r, priority: String(r.priority) })));
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const change = (n: number, patch: Partial<(typeof routes)[number]>) =>
    setRoutes(routes.map((r, i) => (i === n ? { ...r, ...patch } : r)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    if (routes.some((r) => !/^\d+$/.test(r.priority))) {
      action.setError(t('wholeNumber'));
      return;
    }
    void action.run(async () => {
      await call<'putProvidersByNameRoutes'>('PUT', `/v1/providers/${encodeURIComponent(provider.name)}/routes`, {
        body: {
          routes: routes.map((r) => ({ operator: r.operator, priority: Number(r.priority), enabled: r.enabled })),
        },
      });
      setSaved(true);
    });
  };
  return (
    <li className="row">
      <form onSubmit={submit} aria-label={provider.name}>
        <div className="row-main">
          <strong>{provider.name}</strong>
          <span className="status">{provider.enabled ? t('enabled') : '—'}</span>
        </div>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('operator')}</th>
                <th scope="col">{t('priority')}</th>
                <th scope="col">{t('enabled')}</th>
              </tr>
            </thead>
            <tbody>
              {routes.map((r, n) => (
                <tr key={r.operator}>
                  <td>{r.operator}</td>
                  <td>
                    <input
                      aria-label={`${r.operator} ${t('priority')}`}
                      inputMode="numeric"
                      value={r.priority}
                      onChange={(e) => change(n, { priority: e.target.value })}
                    />
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${r.operator} ${t('enabled')}`}
                      checked={r.enabled}
                      onChange={(e) => change(n, { enabled: e.target.checked })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <SubmitButton busy={action.busy}>{t('save')}</SubmitButton>
        {saved && <span role="status">{t('saved')}</span>}
      </form>
      <ErrorText error={action.error} />
      <FormInPlace
        text={t('editDefinition')}
        name={provider.name}
        form={(done) => <ProviderDefinitionForm provider={provider} onDone={done} />}
        onDone={onChange}
      />
    </li>
  );
}

type Plan = Reply<'getCommissionPlans'>['items'][number];
type RuleBody = NonNullable<Body<'postCommissionPlans'>>['rules'][number];
const earningRoles = ['retailer', 'distributor', 'master_distributor'] as const;
type EarningRole = (typeof earningRoles)[number];
/** A rule as typed: a percentage or rupees, both turned into integers only on saving. */
interface RuleDraft {
  role: EarningRole;
  scope: string;
  unit: 'percent' | 'flat';
  value: string;
  tds: string;
}
const blankRule: RuleDraft = { role: 'retailer', scope: '', unit: 'percent', value: '', tds: '' };

function draftOf(r: Plan['rules'][number]): RuleDraft {
  return {
    role: r.role as EarningRole,
    scope: r.operator ?? r.kind ?? '',
    unit: r.flatPaise !== null ? 'flat' : 'percent',
    value: r.flatPaise !== null ? rupeesText(r.flatPaise) : rupeesText(r.percentBps ?? 0),
    tds: r.tdsBps ? rupeesText(r.tdsBps) : '',
  };
}

/** The rules as the API takes them, or undefined when a number does not parse. */
function rulesOf(drafts: RuleDraft[]): RuleBody[] | undefined {
  const rules: RuleBody[] = [];
  for (const d of drafts) {
    const value = d.unit === 'percent' ? parsePercent(d.value) : parseRupees(d.value);
    const tdsBps = d.tds.trim() === '' ? undefined : parsePercent(d.tds);
    if (value === undefined || (d.tds.trim() !== '' && tdsBps === undefined)) return undefined;
    const scope = d.scope.trim().toUpperCase();
    rules.push({
      role: d.role,
      ...(scope === 'PREPAID' || scope === 'DTH'
        ? { kind: scope.toLowerCase() as 'prepaid' | 'dth' }
        : scope
          ? { operator: scope }
          : {}),
      ...(d.unit === 'percent' ? { percentBps: value } : { flatPaise: value }),
      ...(tdsBps === undefined ? {} : { tdsBps }),
    });
  }
  return rules;
}

function CommissionPlans() {
  const { t } = useI18n();
  const plans = useAsync(() => call<'getCommissionPlans'>('GET', '/v1/commission-plans'), []);
  return (
    <section className="card">
      <h2>{t('commissionPlans')}</h2>
      <Loaded state={plans}>
        {(p) => (
          <ul className="rows">
            {p.items.map((plan) => (
              <PlanRow key={plan.id} plan={plan} onChange={plans.reload} />
            ))}
          </ul>
        )}
      </Loaded>
      <FormInPlace text={t('newPlan')} form={(done) => <PlanForm onDone={done} />} onDone={plans.reload} />
    </section>
  );
}

function PlanRow({ plan, onChange }: { plan: Plan; onChange: () => void }) {
  const { t } = useI18n();
  return (
    <li className="row" data-testid={`plan-${plan.name}`}>
      <div className="row-main">
        <strong>{plan.name}</strong>
        {plan.isDefault && <span className="status">default</span>}
        {plan.assignments.length > 0 && (
          <span>
            {t('assignedTo')}: {plan.assignments.map((a) => a.role ?? a.userId).join(', ')}
          </span>
        )}
      </div>
      <ul>
        {plan.rules.map((r, n) => (
          <li key={n}>
            {r.role.replace('_', ' ')} · {r.operator ?? r.kind ?? '*'} ·{' '}
            {r.percentBps !== null ? formatBps(r.percentBps) : r.flatPaise !== null ? formatPaise(r.flatPaise) : '—'} ·
            TDS {formatBps(r.tdsBps)}
          </li>
        ))}
      </ul>
      <FormInPlace
        text={t('edit')}
        name={plan.name}
        form={(done) => <PlanForm plan={plan} onDone={done} />}
        onDone={onChange}
      />
      <AssignForm plan={plan} onDone={onChange} />
    </li>
  );
}

function PlanForm({ plan, onDone }: { plan?: Plan; onDone: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState(plan?.name ?? '');
  const [drafts, setDrafts] = useState<RuleDraft[]>(plan ? plan.rules.map(draftOf) : [blankRule]);
  const action = useAction();
  const change = (n: number, patch: Partial<RuleDraft>) =>
    setDrafts(drafts.map((d, i) => (i === n ? { ...d, ...patch } : d)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const rules = rulesOf(drafts);
    if (!rules) {
      action.setError(t('invalidRate'));
      return;
    }
    void action.run(async () => {
      if (plan)
        await call<'putCommissionPlansById'>('PUT', `/v1/commission-plans/${plan.id}`, { body: { name, rules } });
      else await call<'postCommissionPlans'>('POST', '/v1/commission-plans', { body: { name, rules } });
      onDone();
    });
  };
  return (
    <form onSubmit={submit} aria-label={plan ? `${t('edit')} ${plan.name}` : t('newPlan')}>
      <Field label={t('planName')}>
        <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      {drafts.map((d, n) => (
        <fieldset key={n} className="inline">
          <legend>
            {t('rule')} {n + 1}
          </legend>
          <Field label={t('role')}>
            <select value={d.role} onChange={(e) => change(n, { role: e.target.value as EarningRole })}>
              {earningRoles.map((r) => (
                <option key={r} value={r}>
                  {r.replace('_', ' ')}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('ruleScope')}>
            <input value={d.scope} onChange={(e) => change(n, { scope: e.target.value })} />
          </Field>
          <Field label={t('commissionAs')}>
            <select value={d.unit} onChange={(e) => change(n, { unit: e.target.value as RuleDraft['unit'] })}>
              <option value="percent">%</option>
              <option value="flat">₹</option>
            </select>
          </Field>
          <Field label={d.unit === 'percent' ? t('ratePercent') : t('amountRupees')}>
            <input
              inputMode="decimal"
              required
              value={d.value}
              onChange={(e) => change(n, { value: e.target.value })}
            />
          </Field>
          <Field label={t('tdsPercent')}>
            <input inputMode="decimal" value={d.tds} onChange={(e) => change(n, { tds: e.target.value })} />
          </Field>
          <button type="button" className="link" onClick={() => setDrafts(drafts.filter((_, i) => i !== n))}>
            {t('removeRule')}
          </button>
        </fieldset>
      ))}
      <button type="button" onClick={() => setDrafts([...drafts, blankRule])}>
        {t('addRule')}
      </button>
      <SubmitButton busy={action.busy}>{t('save')}</SubmitButton>
      <ErrorText error={action.error} />
    </form>
  );
}

function AssignForm({ plan, onDone }: { plan: Plan; onDone: () => void }) {
  const { t } = useI18n();
  const [target, setTarget] = useState<EarningRole | 'user'>('retailer');
  const [userId, setUserId] = useState('');
  const [from, setFrom] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const effectiveFrom = from ? istDayStart(from) : undefined;
    void action.run(async () => {
      await call<'postCommissionPlansByIdAssign'>('POST', `/v1/commission-plans/${plan.id}/assign`, {
        body: target === 'user' ? { userId: userId.trim(), effectiveFrom } : { role: target, effectiveFrom },
      });
      setSaved(true);
      onDone();
    });
  };
  return (
    <>
      <form className="inline" onSubmit={submit} aria-label={`${t('assign')} ${plan.name}`}>
        <Field label={t('assignTo')}>
          <select value={target} onChange={(e) => setTarget(e.target.value as EarningRole | 'user')}>
            {earningRoles.map((r) => (
              <option key={r} value={r}>
                {r.replace('_', ' ')}
              </option>
            ))}
            <option value="user">{t('oneUser')}</option>
          </select>
        </Field>
        {target === 'user' && (
          <Field label={t('userId')}>
            <input required value={userId} onChange={(e) => setUserId(e.target.value)} />
          </Field>
        )}
        <Field label={t('effectiveFrom')} hint={t('fromNowIfEmpty')}>
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </Field>
        <SubmitButton busy={action.busy}>{t('assign')}</SubmitButton>
        {saved && <span role="status">{t('saved')}</span>}
      </form>
      <ErrorText error={action.error} />
    </>
  );
}
