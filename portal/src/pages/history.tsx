import { useState, type FormEvent } from 'react';
import { call, type Query } from '../api/client';
import { useMe } from '../app';
import { formatDateTime, istDayEnd, istDayStart, istToday, monthStart } from '../dates';
import { useI18n } from '../i18n';
import { ErrorText, Field, Loaded, Money, SubmitButton, useAction, useAsync } from '../ui';
import type { Recharge } from './recharge';

type Status = NonNullable<Query<'getRecharges'>['status']>;
const statuses: Status[] = ['received', 'processing', 'pending', 'success', 'failed', 'reversed', 'manual_review'];

/** A retailer's own recharges; for an upline, its downline's, with a summary by operator. */
export function HistoryPage() {
  const { t, lang } = useI18n();
  const { user } = useMe();
  const own = user.role === 'retailer';
  const today = istToday();
  const [filters, setFilters] = useState({
    from: monthStart(today),
    to: today,
    status: '' as Status | '',
    subscriber: '',
  });
  const [form, setForm] = useState(filters);
  const list = useAsync(
    () =>
      call<'getRecharges'>('GET', '/v1/recharges', {
        query: {
          userId: own ? user.id : undefined,
          from: istDayStart(filters.from),
          to: istDayEnd(filters.to),
          status: filters.status || undefined,
          subscriber: filters.subscriber || undefined,
          limit: 100,
        },
      }),
    [user.id, filters],
  );
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(form);
  };
  return (
    <>
      <form className="filters" onSubmit={apply}>
        <Field label={t('searchNumber')} hint={t('tenDigits')}>
          <input
            name="search"
            inputMode="numeric"
            pattern="[0-9]{10}"
            maxLength={10}
            value={form.subscriber}
            onChange={(e) => setForm({ ...form, subscriber: e.target.value.trim() })}
          />
        </Field>
        <Field label={t('status')}>
          <select
            name="status"
            value={form.status}
            onChange={(e) => setForm({ ...form, status: e.target.value as Status | '' })}
          >
            <option value="">{t('allStatuses')}</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('from')}>
          <input
            type="date"
            name="from"
            value={form.from}
            onChange={(e) => setForm({ ...form, from: e.target.value })}
          />
        </Field>
        <Field label={t('to')}>
          <input type="date" name="to" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />
        </Field>
        <SubmitButton busy={list.loading}>{t('show')}</SubmitButton>
      </form>
      {!own && <Summary from={filters.from} to={filters.to} />}
      <Loaded state={list}>
        {(l) => {
          if (l.items.length === 0) return <p>{t('noEntries')}</p>;
          return (
            <ul className="rows">
              {l.items.map((r) => (
                <HistoryRow key={r.id} r={r} lang={lang} onChange={list.reload} canDispute={own} />
              ))}
            </ul>
          );
        }}
      </Loaded>
    </>
  );
}

function Summary({ from, to }: { from: string; to: string }) {
  const { t } = useI18n();
  const report = useAsync(
    () =>
      call<'getReportsRecharges'>('GET', '/v1/reports/recharges', {
        query: { from: istDayStart(from), to: istDayEnd(to), groupBy: 'operator' },
      }),
    [from, to],
  );
  return (
    <Loaded state={report}>
      {(r) =>
        r.items.length === 0 ? null : (
          <div className="table-wrap">
            <table>
              <caption>{t('summaryByOperator')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('operator')}</th>
                  <th scope="col" className="num">
                    {t('count')}
                  </th>
                  <th scope="col" className="num">
                    {t('amount')}
                  </th>
                  <th scope="col" className="num">
                    {t('successRate')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {r.items.map((i) => (
                  <tr key={i.key}>
                    <td>{i.key}</td>
                    <td className="num">{i.count}</td>
                    <td className="num">
                      <Money paise={i.amount} />
                    </td>
                    <td className="num">{i.successRate === null ? '—' : `${Math.round(i.successRate * 100)}%`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }
    </Loaded>
  );
}

function HistoryRow({
  r,
  lang,
  onChange,
  canDispute,
}: {
  r: Recharge;
  lang: string;
  onChange: () => void;
  canDispute: boolean;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction();
  const dispute = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await call<'postRechargesByIdDispute'>('POST', `/v1/recharges/${r.id}/dispute`, { body: { reason } });
      setDone(true);
      setOpen(false);
      onChange();
    });
  };
  return (
    <li className="row">
      <div className="row-main">
        <span>{formatDateTime(r.createdAt, lang)}</span>
        <strong>{r.subscriber}</strong>
        <span>{r.operator}</span>
        <Money paise={r.amount} />
        <span className={`status status-${r.status}`}>{r.status.replace('_', ' ')}</span>
        {r.commission > 0 && (
          <span>
            {t('commission')} <Money paise={r.commission} />
          </span>
        )}
        {!canDispute && <span>{r.userId}</span>}
        {canDispute && !open && (
          <button type="button" className="link" onClick={() => setOpen(true)}>
            {t('dispute')}
          </button>
        )}
      </div>
      {done && <p role="status">{t('disputed')}</p>}
      {open && (
        <form className="inline" onSubmit={dispute}>
          <Field label={t('reason')}>
            <input name="reason" required minLength={3} value={reason} onChange={(e) => setReason(e.target.value)} />
          </Field>
          <SubmitButton busy={action.busy}>{t('send')}</SubmitButton>
          <button type="button" className="secondary" onClick={() => setOpen(false)}>
            {t('back')}
          </button>
        </form>
      )}
      <ErrorText error={action.error} />
    </li>
  );
}
