import { useState, type FormEvent } from 'react';
import { call, type Reply } from '../api/client';
import { formatDateTime } from '../dates';
import { useI18n } from '../i18n';
import { ErrorText, Field, Loaded, Money, SubmitButton, useAction, useAsync } from '../ui';

type Stuck = Reply<'getOpsStuck'>;
type Item = Stuck['items'][number];
type Alert = Reply<'getRiskAlerts'>['items'][number];

/** What needs a person: the stuck list with each item's timeline, Temporal link, resolve and retry. */
export function SupportPage() {
  const { t, lang } = useI18n();
  const stuck = useAsync(() => call<'getOpsStuck'>('GET', '/v1/ops/stuck'), []);
  return (
    <Loaded state={stuck}>
      {(s) => (
        <>
          <dl className="balances">
            <div>
              <dt>{t('stuckItems')}</dt>
              <dd>{s.items.length}</dd>
            </div>
            <div>
              <dt>{t('dues')}</dt>
              <dd>
                <Money paise={s.dues.owedPaise} /> · {s.dues.users}
              </dd>
            </div>
            <div>
              <dt>{t('riskAlerts')}</dt>
              <dd>{s.riskAlerts.open}</dd>
            </div>
          </dl>
          <p className="hint">
            {t('checkedAt')} {formatDateTime(s.checkedAt, lang)}{' '}
            <button type="button" className="link" onClick={stuck.reload}>
              {t('refresh')}
            </button>
          </p>
          {s.items.length === 0 ? (
            <p>{t('nothingPending')}</p>
          ) : (
            <ul className="rows">
              {s.items.map((i) => (
                <StuckRow key={`${i.kind}-${i.id}`} item={i} onChange={stuck.reload} />
              ))}
            </ul>
          )}
          <RiskAlerts onChange={stuck.reload} />
        </>
      )}
    </Loaded>
  );
}

function StuckRow({ item, onChange }: { item: Item; onChange: () => void }) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <li className="row" data-testid={`stuck-${item.id}`}>
      <div className="row-main">
        <span>{item.kind}</span>
        <strong>{item.id}</strong>
        <Money paise={item.amount} />
        <span className="status">{item.status.replace(/_/g, ' ')}</span>
        <span>{formatDateTime(item.createdAt, lang)}</span>
        {item.operator && <span>{item.operator}</span>}
        <a href={item.temporalUrl} target="_blank" rel="noreferrer">
          {t('temporal')}
        </a>
        <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? t('back') : t('details')}
        </button>
      </div>
      <ul>
        {item.reasons.map((r) => (
          <li key={r.code}>{r.detail}</li>
        ))}
      </ul>
      {open && (
        <>
          {item.kind === 'recharge' && <Timeline id={item.id} />}
          {item.kind === 'recharge' && item.status === 'manual_review' && <Resolve id={item.id} onDone={onChange} />}
          <Retry workflowId={item.workflowId} onDone={onChange} />
        </>
      )}
    </li>
  );
}

function Timeline({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const r = useAsync(() => call<'getRechargesById'>('GET', `/v1/recharges/${id}`), [id]);
  return (
    <Loaded state={r}>
      {(rc) => (
        <section>
          <h3>{t('timeline')}</h3>
          <p>
            {rc.subscriber} · {rc.operator} · {rc.provider ?? '—'} · {rc.operatorRef ?? '—'}
          </p>
          <ol className="timeline">
            {rc.timeline.map((e, n) => (
              <li key={n}>
                {formatDateTime(e.at, lang)} · <strong>{e.status.replace(/_/g, ' ')}</strong>
                {e.note ? ` · ${e.note}` : ''}
              </li>
            ))}
          </ol>
        </section>
      )}
    </Loaded>
  );
}

function Resolve({ id, onDone }: { id: string; onDone: () => void }) {
  const { t } = useI18n();
  const [outcome, setOutcome] = useState<'success' | 'failed'>('success');
  const [operatorRef, setOperatorRef] = useState('');
  const [note, setNote] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await call<'postOpsRechargesByIdResolve'>('POST', `/v1/ops/recharges/${id}/resolve`, {
        body: { outcome, note: note.trim(), ...(operatorRef.trim() ? { operatorRef: operatorRef.trim() } : {}) },
      });
      onDone();
    });
  };
  return (
    <form className="card" onSubmit={submit}>
      <h3>{t('resolve')}</h3>
      <fieldset className="choice">
        <legend>{t('outcome')}</legend>
        <label>
          <input
            type="radio"
            name={`outcome-${id}`}
            checked={outcome === 'success'}
            onChange={() => setOutcome('success')}
          />
          success
        </label>
        <label>
          <input
            type="radio"
            name={`outcome-${id}`}
            checked={outcome === 'failed'}
            onChange={() => setOutcome('failed')}
          />
          failed
        </label>
      </fieldset>
      {outcome === 'success' && (
        <Field label={t('operatorRef')}>
          <input name="operatorRef" value={operatorRef} onChange={(e) => setOperatorRef(e.target.value)} />
        </Field>
      )}
      <Field label={t('note')}>
        <input name="note" required value={note} onChange={(e) => setNote(e.target.value)} />
      </Field>
      <ErrorText error={action.error} />
      <SubmitButton busy={action.busy}>{t('resolve')}</SubmitButton>
    </form>
  );
}

function Retry({ workflowId, onDone }: { workflowId: string; onDone: () => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string>();
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const r = await call<'postOpsWorkflowsByWorkflowIdRetry'>(
        'POST',
        `/v1/ops/workflows/${encodeURIComponent(workflowId)}/retry`,
        { body: { reason: reason.trim() } },
      );
      setDone(`${t('done')} ${r.runId}`);
      onDone();
    });
  };
  return (
    <form className="inline" onSubmit={submit}>
      <Field label={t('retryReason')}>
        <input name="retryReason" required value={reason} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <SubmitButton busy={action.busy}>{t('retryWorkflow')}</SubmitButton>
      <ErrorText error={action.error} />
      {done && <p role="status">{done}</p>}
    </form>
  );
}

function RiskAlerts({ onChange }: { onChange: () => void }) {
  const { t } = useI18n();
  const alerts = useAsync(
    () => call<'getRiskAlerts'>('GET', '/v1/risk/alerts', { query: { status: 'open', limit: 50 } }),
    [],
  );
  return (
    <section>
      <h2>{t('riskAlerts')}</h2>
      <Loaded state={alerts}>
        {(a) =>
          a.items.length === 0 ? (
            <p>{t('nothingPending')}</p>
          ) : (
            <ul className="rows">
              {a.items.map((alert) => (
                <AlertRow
                  key={alert.id}
                  alert={alert}
                  onDone={() => {
                    alerts.reload();
                    onChange();
                  }}
                />
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function AlertRow({ alert, onDone }: { alert: Alert; onDone: () => void }) {
  const { t, lang } = useI18n();
  const [note, setNote] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await call<'postRiskAlertsByIdResolve'>('POST', `/v1/risk/alerts/${alert.id}/resolve`, {
        body: { note: note.trim() },
      });
      onDone();
    });
  };
  return (
    <li className="row" data-testid={`alert-${alert.id}`}>
      <div className="row-main">
        <span>{formatDateTime(alert.createdAt, lang)}</span>
        <strong>{alert.rule.replace(/_/g, ' ')}</strong>
        <span>{alert.action}</span>
        <span>{alert.userId}</span>
        <span>{alert.subjectId}</span>
      </div>
      <p>{alert.detail}</p>
      <form className="inline" onSubmit={submit}>
        <Field label={t('note')}>
          <input name="alertNote" required value={note} onChange={(e) => setNote(e.target.value)} />
        </Field>
        <SubmitButton busy={action.busy}>{t('resolve')}</SubmitButton>
      </form>
      <ErrorText error={action.error} />
    </li>
  );
}
