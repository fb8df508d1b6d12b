import { useState, type FormEvent } from 'react';
import { call, type Reply } from '../api/client';
import { useMe } from '../app';
import { formatDateTime, istDayEnd, istDayStart, istToday, monthStart } from '../dates';
import { useI18n } from '../i18n';
import { ErrorText, Field, Loaded, Money, SubmitButton, useAction, useAsync } from '../ui';

type Item = Reply<'getWalletsByUserIdStatement'>['items'][number];

export function StatementPage() {
  const { t, lang } = useI18n();
  const { user } = useMe();
  const today = istToday();
  const [from, setFrom] = useState(monthStart(today));
  const [to, setTo] = useState(today);
  const [range, setRange] = useState({ from, to });
  const [more, setMore] = useState<{ items: Item[]; cursor: string | null }>();
  const query = { from: istDayStart(range.from), to: istDayEnd(range.to) };
  const page = useAsync(async () => {
    setMore(undefined);
    return call<'getWalletsByUserIdStatement'>('GET', `/v1/wallets/${user.id}/statement`, {
      query: { ...query, limit: 50 },
    });
  }, [user.id, range.from, range.to]);
  const loadMore = useAction();
  const download = useAction();

  const show = (e: FormEvent) => {
    e.preventDefault();
    setRange({ from, to });
  };
  const next = more ? more.cursor : page.data?.nextCursor;
  const fetchMore = () =>
    loadMore.run(async () => {
      const p = await call<'getWalletsByUserIdStatement'>('GET', `/v1/wallets/${user.id}/statement`, {
        query: { ...query, limit: 50, cursor: next ?? undefined },
      });
      setMore({ items: [...(more?.items ?? []), ...p.items], cursor: p.nextCursor });
    });
  const csv = () =>
    download.run(async () => {
      const blob = (await call('GET', `/v1/wallets/${user.id}/statement`, { query, csv: true })) as unknown as Blob;
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `statement-${range.from}-to-${range.to}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });

  return (
    <>
      <form className="filters" onSubmit={show}>
        <Field label={t('from')}>
          <input type="date" name="from" value={from} max={to} onChange={(e) => setFrom(e.target.value)} required />
        </Field>
        <Field label={t('to')}>
          <input type="date" name="to" value={to} min={from} onChange={(e) => setTo(e.target.value)} required />
        </Field>
        <SubmitButton busy={page.loading}>{t('show')}</SubmitButton>
        <button type="button" onClick={() => void csv()} disabled={download.busy} aria-busy={download.busy}>
          {download.busy ? t('working') : t('downloadCsv')}
        </button>
      </form>
      <ErrorText error={download.error} />
      <Loaded state={page}>
        {(p) => {
          const items = [...p.items, ...(more?.items ?? [])];
          if (items.length === 0) return <p>{t('noEntries')}</p>;
          return (
            <>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('date')}</th>
                      <th scope="col">{t('kind')}</th>
                      <th scope="col" className="num">
                        {t('amount')}
                      </th>
                      <th scope="col" className="num">
                        {t('balanceAfter')}
                      </th>
                      <th scope="col">{t('reference')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((i) => (
                      <tr key={`${i.transferId}-${i.kind}-${i.direction}`}>
                        <td>{formatDateTime(i.at, lang)}</td>
                        <td>{i.kind.replace(/_/g, ' ')}</td>
                        <td className={`num ${i.direction}`}>
                          <Money paise={i.direction === 'debit' ? -i.amount : i.amount} />
                        </td>
                        <td className="num">
                          <Money paise={i.balanceAfter} />
                        </td>
                        <td>{i.reference}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {next && (
                <button type="button" onClick={() => void fetchMore()} disabled={loadMore.busy}>
                  {loadMore.busy ? t('working') : t('loadMore')}
                </button>
              )}
              <ErrorText error={loadMore.error} />
            </>
          );
        }}
      </Loaded>
    </>
  );
}
