import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, call, newKey, type Reply } from '../api/client';
import { useMe } from '../app';
import { messageOf } from '../error-text';
import { useI18n } from '../i18n';
import { formatPaise, parseRupees } from '../money';
import { ErrorText, Field, Loaded, MpinField, Money, SubmitButton, useAction, useAsync } from '../ui';

export type Recharge = Reply<'getRechargesById'>;

/** Above this a money movement needs the acting user's mPIN (API.md: step-up above ₹10,000). */
export const stepUpThresholdPaise = 1_000_000;
const finalStatuses = new Set(['success', 'failed', 'reversed', 'manual_review']);

interface Draft {
  subscriber: string;
  operator: string;
  circle: string;
  amount: number;
  mpin: string;
  key: string;
}

export function RechargePage() {
  const [draft, setDraft] = useState<Draft>();
  const [confirmed, setConfirmed] = useState<Recharge>();
  if (confirmed) return <Progress initial={confirmed} onAgain={() => (setConfirmed(undefined), setDraft(undefined))} />;
  if (draft) return <Confirm draft={draft} onBack={() => setDraft(undefined)} onDone={setConfirmed} />;
  return <RechargeForm onNext={setDraft} />;
}

function RechargeForm({ onNext }: { onNext: (d: Draft) => void }) {
  const { t, lang } = useI18n();
  const operators = useAsync(() => call<'getOperators'>('GET', '/v1/operators'), []);
  const [subscriber, setSubscriber] = useState('');
  const [operator, setOperator] = useState('');
  const [circle, setCircle] = useState('');
  const [amount, setAmount] = useState('');
  const [mpin, setMpin] = useState('');
  const [error, setError] = useState<string>();
  const [lookup, setLookup] = useState<{ busy: boolean; note?: string }>({ busy: false });

  useEffect(() => {
    if (!/^[6-9]\d{9}$/.test(subscriber)) return;
    let live = true;
    setLookup({ busy: true });
    call<'getOperatorsLookup'>('GET', '/v1/operators/lookup', { query: { subscriber } }).then(
      (r) => {
        if (!live) return;
        setOperator(r.operator);
        setCircle(r.circle ?? '');
        setLookup({ busy: false, note: `${t('detected')}: ${r.operator}${r.circle ? ` · ${r.circle}` : ''}` });
      },
      (err: unknown) =>
        live && setLookup({ busy: false, note: err instanceof ApiError ? messageOf(err, lang) : undefined }),
    );
    return () => {
      live = false;
    };
  }, [subscriber]);

  const paise = parseRupees(amount);
  const needsMpin = paise !== undefined && paise > stepUpThresholdPaise;
  const next = (e: FormEvent) => {
    e.preventDefault();
    if (paise === undefined || paise <= 0) {
      setError(t('invalidAmount'));
      return;
    }
    setError(undefined);
    onNext({ subscriber, operator, circle, amount: paise, mpin: needsMpin ? mpin : '', key: newKey() });
  };

  return (
    <form className="card" onSubmit={next}>
      <Field label={t('subscriber')} hint={lookup.busy ? t('loading') : lookup.note}>
        <input
          name="subscriber"
          inputMode="numeric"
          autoComplete="off"
          required
          maxLength={16}
          value={subscriber}
          onChange={(e) => setSubscriber(e.target.value.replace(/\s/g, ''))}
        />
      </Field>
      <Loaded state={operators}>
        {(ops) => (
          <Field label={t('operator')}>
            <select name="operator" required value={operator} onChange={(e) => setOperator(e.target.value)}>
              <option value="">{t('choose')}</option>
              {ops.items
                .filter((o) => o.enabled)
                .map((o) => (
                  <option key={o.code} value={o.code}>
                    {o.name} ({formatPaise(o.minAmount)}–{formatPaise(o.maxAmount)})
                  </option>
                ))}
            </select>
          </Field>
        )}
      </Loaded>
      {operator && <Plans operator={operator} circle={circle} onPick={(p) => setAmount(String(p / 100))} />}
      <Field label={t('amountRupees')}>
        <input
          name="amount"
          inputMode="decimal"
          autoComplete="off"
          required
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
      </Field>
      {needsMpin && <MpinField value={mpin} onChange={setMpin} />}
      <ErrorText error={error} />
      <button type="submit">{t('next')}</button>
    </form>
  );
}

function Plans({ operator, circle, onPick }: { operator: string; circle: string; onPick: (paise: number) => void }) {
  const { t } = useI18n();
  const plans = useAsync(
    () => call<'getPlans'>('GET', '/v1/plans', { query: { operator, circle: circle || undefined } }),
    [operator, circle],
  );
  return (
    <fieldset className="plans">
      <legend>{t('plans')}</legend>
      <Loaded state={plans}>
        {(p) =>
          p.items.length === 0 ? (
            <p className="hint">{t('noPlans')}</p>
          ) : (
            <ul>
              {p.items
                .filter((plan) => plan.active)
                .map((plan) => (
                  <li key={plan.id}>
                    <button type="button" className="plan" onClick={() => onPick(plan.amount)}>
                      <strong>{formatPaise(plan.amount)}</strong> · {plan.validityDays}d<span>{plan.description}</span>
                    </button>
                  </li>
                ))}
            </ul>
          )
        }
      </Loaded>
    </fieldset>
  );
}

function Confirm({ draft, onBack, onDone }: { draft: Draft; onBack: () => void; onDone: (r: Recharge) => void }) {
  const { t } = useI18n();
  const action = useAction();
  const [mpin, setMpin] = useState(draft.mpin);
  const [askMpin, setAskMpin] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      try {
        const r = await call<'postRecharges'>('POST', '/v1/recharges', {
          query: { waitMs: 0 },
          headers: { 'Idempotency-Key': draft.key, ...(mpin ? { 'X-MPIN': mpin } : {}) },
          body: {
            subscriber: draft.subscriber,
            amount: draft.amount,
            ...(draft.operator ? { operator: draft.operator } : {}),
            ...(draft.circle ? { circle: draft.circle } : {}),
          },
        });
        onDone(r as Recharge);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'STEP_UP_REQUIRED') setAskMpin(true);
        throw err;
      }
    });
  };
  return (
    <form className="card" onSubmit={submit}>
      <p className="confirm">
        {t('confirmRecharge', {
          amount: formatPaise(draft.amount),
          subscriber: draft.subscriber,
          operator: [draft.operator, draft.circle].filter(Boolean).join(' · ') || '—',
        })}
      </p>
      {askMpin && <MpinField value={mpin} onChange={setMpin} />}
      <ErrorText error={action.error} />
      <div className="actions">
        <SubmitButton busy={action.busy}>{t('confirm')}</SubmitButton>
        <button type="button" className="secondary" onClick={onBack} disabled={action.busy}>
          {t('back')}
        </button>
      </div>
    </form>
  );
}

/** Follows the recharge until it is final, then refreshes the wallet (commission included). */
function Progress({ initial, onAgain }: { initial: Recharge; onAgain: () => void }) {
  const { t } = useI18n();
  const { wallet } = useMe();
  const [r, setR] = useState(initial);
  const [error, setError] = useState<string>();
  const final = finalStatuses.has(r.status);
  useEffect(() => {
    if (final) {
      wallet.reload();
      return;
    }
    const timer = setTimeout(() => {
      call<'getRechargesById'>('GET', `/v1/recharges/${r.id}`).then(
        (next) => (setR(next), setError(undefined)),
        (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
      );
    }, 700);
    return () => clearTimeout(timer);
  }, [r, final]);
  return (
    <section className="card">
      <p>
        {r.subscriber} · {r.operator} · <Money paise={r.amount} />
      </p>
      <p aria-live="polite">
        {t('status')}:{' '}
        <strong className={`status status-${r.status}`} data-testid="recharge-status">
          {r.status.replace('_', ' ')}
        </strong>
        {!final && <span className="spinner" aria-hidden="true" />}
      </p>
      {r.failureReason && <p>{r.failureReason}</p>}
      {r.status === 'success' && (
        <p>
          {t('commissionEarned')}: <Money paise={r.commission} className="commission" />
        </p>
      )}
      {final && wallet.data && (
        <p>
          {t('available')}: <Money paise={wallet.data.available} className="after-balance" />
        </p>
      )}
      <ErrorText error={error} />
      {final && (
        <button type="button" onClick={onAgain}>
          {t('newRecharge')}
        </button>
      )}
    </section>
  );
}
