import { useState } from 'react';
import { call } from '../api/client';
import { useMe, type User } from '../app';
import { formatDateTime } from '../dates';
import { useI18n } from '../i18n';
import { ErrorText, Loaded, useAction, useAsync } from '../ui';

/** Admin: every user with suspend / activate / unlock mPIN, and the ledger's proof. */
export function AdminPage() {
  const { t } = useI18n();
  const { user: me } = useMe();
  const [pages, setPages] = useState<Array<string | null>>([null]);
  return (
    <>
      <LedgerVerify />
      <h2>{t('users')}</h2>
      <ul className="rows">
        {pages.map((cursor, n) => (
          <UserPage
            key={cursor ?? ''}
            cursor={cursor}
            me={me.id}
            onNext={n === pages.length - 1 ? (next) => setPages([...pages, next]) : undefined}
          />
        ))}
      </ul>
    </>
  );
}

function UserPage({ cursor, me, onNext }: { cursor: string | null; me: string; onNext?: (cursor: string) => void }) {
  const { t } = useI18n();
  const users = useAsync(
    () => call<'getUsers'>('GET', '/v1/users', { query: { limit: 50, cursor: cursor ?? undefined } }),
    [cursor],
  );
  return (
    <Loaded state={users}>
      {(l) => (
        <>
          {l.items
            .filter((u) => u.id !== me)
            .map((u) => (
              <UserRow key={u.id} user={u} onChange={users.reload} />
            ))}
          {onNext && l.nextCursor && (
            <li>
              <button type="button" onClick={() => onNext(l.nextCursor!)}>
                {t('loadMore')}
              </button>
            </li>
          )}
        </>
      )}
    </Loaded>
  );
}

function UserRow({ user, onChange }: { user: User; onChange: () => void }) {
  const { t } = useI18n();
  const action = useAction();
  const [note, setNote] = useState<string>();
  const act = (path: string, label: string) =>
    action.run(async () => {
      await call('POST', `/v1/users/${user.id}/${path}`);
      setNote(label);
      onChange();
    });
  return (
    <li className="row" data-testid={`user-${user.mobile}`}>
      <div className="row-main">
        <strong>{user.name}</strong>
        <span>{user.role.replace('_', ' ')}</span>
        <span>{user.mobile}</span>
        <span className="status">{user.status.replace('_', ' ')}</span>
        {user.status === 'active' ? (
          <button
            type="button"
            className="secondary"
            disabled={action.busy}
            onClick={() => void act('suspend', t('suspend'))}
          >
            {t('suspend')}
          </button>
        ) : (
          <button
            type="button"
            className="secondary"
            disabled={action.busy}
            onClick={() => void act('activate', t('activate'))}
          >
            {t('activate')}
          </button>
        )}
        <button
          type="button"
          className="secondary"
          disabled={action.busy}
          onClick={() => void act('unlock-mpin', t('unlockMpin'))}
        >
          {t('unlockMpin')}
        </button>
      </div>
      {note && <p role="status">{`${t('done')} ${note}`}</p>}
      <ErrorText error={action.error} />
    </li>
  );
}

function LedgerVerify() {
  const { t, lang } = useI18n();
  const [round, setRound] = useState(0);
  const report = useAsync(
    () => (round === 0 ? Promise.resolve(null) : call<'getOpsLedgerVerify'>('GET', '/v1/ops/ledger/verify')),
    [round],
  );
  return (
    <section className="card">
      <h2>{t('ledgerVerify')}</h2>
      <button type="button" onClick={() => setRound(round + 1)} disabled={report.loading} aria-busy={report.loading}>
        {report.loading && round > 0 ? t('working') : t('verify')}
      </button>
      {report.error && <ErrorText error={report.error} onRetry={report.reload} />}
      {report.data && (
        <p role="status" data-testid="ledger-verdict">
          {report.data.ok ? t('ledgerOk') : t('ledgerBad')} · {report.data.accounts} / {report.data.transfers} ·{' '}
          {formatDateTime(report.data.checkedAt, lang)}
        </p>
      )}
      {report.data && report.data.violations.length > 0 && (
        <ul>
          {report.data.violations.map((v, n) => (
            <li key={n}>
              {v.check}: {v.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
