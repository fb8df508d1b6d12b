import { useState } from 'react';
import { call, type Reply } from '../api/client';
import { formatDateTime } from '../dates';
import { useI18n } from '../i18n';
import { ErrorText, Field, Loaded, Money, useAction, useAsync } from '../ui';

type Topup = Reply<'getTopupsById'>;

export function ApprovalsPage() {
  const { t } = useI18n();
  const list = useAsync(
    () => call<'getTopups'>('GET', '/v1/topups', { query: { status: 'pending_approval', limit: 100 } }),
    [],
  );
  return (
    <Loaded state={list}>
      {(l) => {
        const waiting = l.items.filter((tp) => tp.status === 'pending_approval');
        return waiting.length === 0 ? (
          <p>{t('nothingPending')}</p>
        ) : (
          <ul className="rows">
            {waiting.map((tp) => (
              <Request key={tp.id} topup={tp} onDecided={list.reload} />
            ))}
          </ul>
        );
      }}
    </Loaded>
  );
}

function Request({ topup, onDecided }: { topup: Topup; onDecided: () => void }) {
  const { t, lang } = useI18n();
  const [note, setNote] = useState('');
  const action = useAction();
  const decide = (verb: 'approve' | 'reject') =>
    action.run(async () => {
      await call('POST', `/v1/topups/${topup.id}/${verb}`, { body: note.trim() ? { note: note.trim() } : {} });
      onDecided();
    });
  return (
    <li className="row" data-testid={`topup-${topup.id}`}>
      <div className="row-main">
        <span>{formatDateTime(topup.createdAt, lang)}</span>
        <span>{topup.userId}</span>
        <Money paise={topup.amount} />
        <span>{topup.utr ?? topup.method}</span>
      </div>
      <div className="inline">
        <Field label={t('note')}>
          <input name="note" value={note} onChange={(e) => setNote(e.target.value)} />
        </Field>
        <button type="button" disabled={action.busy} onClick={() => void decide('approve')}>
          {t('approve')}
        </button>
        <button type="button" className="secondary" disabled={action.busy} onClick={() => void decide('reject')}>
          {t('reject')}
        </button>
      </div>
      <ErrorText error={action.error} />
    </li>
  );
}
