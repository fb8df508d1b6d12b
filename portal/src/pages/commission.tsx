import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import { useMe } from '../app';
import { istDayEnd, istDayStart, istToday, monthStart } from '../dates';
import { useI18n } from '../i18n';
import { Field, Loaded, Money, SubmitButton, useAsync } from '../ui';

export function CommissionPage() {
  const { t } = useI18n();
  const { user } = useMe();
  const today = istToday();
  const [form, setForm] = useState({ from: monthStart(today), to: today });
  const [range, setRange] = useState(form);
  const report = useAsync(
    () =>
      call<'getReportsCommissions'>('GET', '/v1/reports/commissions', {
        query: { from: istDayStart(range.from), to: istDayEnd(range.to), userId: user.id },
      }),
    [user.id, range],
  );
  const show = (e: FormEvent) => {
    e.preventDefault();
    setRange(form);
  };
  return (
    <>
      <form className="filters" onSubmit={show}>
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
        <SubmitButton busy={report.loading}>{t('show')}</SubmitButton>
      </form>
      <Loaded state={report}>
        {(r) => (
          <>
            <dl className="balances">
              <div>
                <dt>{t('gross')}</dt>
                <dd>
                  <Money paise={r.totals.gross} />
                </dd>
              </div>
              <div>
                <dt>{t('tds')}</dt>
                <dd>
                  <Money paise={r.totals.tds} />
                </dd>
              </div>
              <div>
                <dt>{t('net')}</dt>
                <dd data-testid="commission-net">
                  <Money paise={r.totals.net} />
                </dd>
              </div>
            </dl>
            {r.items.length > 0 && (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('operator')}</th>
                      <th scope="col" className="num">
                        {t('gross')}
                      </th>
                      <th scope="col" className="num">
                        {t('tds')}
                      </th>
                      <th scope="col" className="num">
                        {t('net')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.items.map((i) => (
                      <tr key={`${i.userId}-${i.operator ?? ''}`}>
                        <td>{i.operator ?? '—'}</td>
                        <td className="num">
                          <Money paise={i.gross} />
                        </td>
                        <td className="num">
                          <Money paise={i.tds} />
                        </td>
                        <td className="num">
                          <Money paise={i.net} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </Loaded>
    </>
  );
}
