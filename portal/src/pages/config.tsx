import { useState, type FormEvent } from 'react';
import { call, type Reply } from '../api/client';
import { istToday } from '../dates';
import { useI18n } from '../i18n';
import { formatPaise, parseRupees, rupeesText } from '../money';
import { ErrorText, Field, Loaded, Money, SubmitButton, useAction, useAsync } from '../ui';

type Operator = Reply<'getOperators'>['items'][number];
type Rule = Reply<'getRiskRules'>['items'][number];
type Provider = Reply<'getProviders'>['items'][number];

/**
 * Admin configuration: operators' limits, providers' routes, risk rules, commission plans (read
 * only) and the month's compliance reports.
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
              <ProviderRoutes key={pr.name} provider={pr} />
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}

function ProviderRoutes({ provider }: { provider: Provider }) {
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
    </li>
  );
}

function CommissionPlans() {
  const { t } = useI18n();
  const plans = useAsync(() => call<'getCommissionPlans'>('GET', '/v1/commission-plans'), []);
  const pct = (bps: number) => `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')}%`;
  return (
    <section className="card">
      <h2>{t('commissionPlans')}</h2>
      <Loaded state={plans}>
        {(p) => (
          <ul className="rows">
            {p.items.map((plan) => (
              <li key={plan.id} className="row">
                <div className="row-main">
                  <strong>{plan.name}</strong>
                  {plan.isDefault && <span className="status">default</span>}
                  {plan.assignments.length > 0 && (
                    <span>{plan.assignments.map((a) => a.role ?? a.userId).join(', ')}</span>
                  )}
                </div>
                <ul>
                  {plan.rules.map((r, n) => (
                    <li key={n}>
                      {r.role.replace('_', ' ')} · {r.operator ?? r.kind ?? '*'} ·{' '}
                      {r.percentBps !== null
                        ? pct(r.percentBps)
                        : r.flatPaise !== null
                          ? formatPaise(r.flatPaise)
                          : '—'}{' '}
                      · TDS {pct(r.tdsBps)}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}
