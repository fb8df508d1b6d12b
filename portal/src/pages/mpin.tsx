import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import { useMe } from '../app';
import { useI18n } from '../i18n';
import { ErrorText, Field, Loaded, SubmitButton, useAction, useAsync } from '../ui';

export function MpinPage() {
  const { t } = useI18n();
  const { user } = useMe();
  const status = useAsync(() => call<'getUsersByIdMpin'>('GET', `/v1/users/${user.id}/mpin`), [user.id]);
  const [mpin, setMpin] = useState('');
  const [current, setCurrent] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void action.run(async () => {
      await call('PUT', '/v1/me/mpin', { body: { mpin, ...(current ? { currentMpin: current } : {}) } });
      setSaved(true);
      setMpin('');
      setCurrent('');
      status.reload();
    });
  };
  const pin = { type: 'password', inputMode: 'numeric' as const, pattern: '[0-9]{6}', maxLength: 6, required: true };
  return (
    <Loaded state={status}>
      {(s) => (
        <form className="card narrow" onSubmit={submit}>
          <p>{s.mpinSet ? t('mpinSet') : t('mpinNotSet')}</p>
          {s.mpinSet && (
            <Field label={t('currentMpin')}>
              <input
                name="currentMpin"
                autoComplete="current-password"
                {...pin}
                value={current}
                onChange={(e) => setCurrent(e.target.value)}
              />
            </Field>
          )}
          <Field label={t('newMpin')}>
            <input
              name="mpin"
              autoComplete="new-password"
              {...pin}
              value={mpin}
              onChange={(e) => setMpin(e.target.value)}
            />
          </Field>
          <ErrorText error={action.error} />
          {saved && <p role="status">{t('saved')}</p>}
          <SubmitButton busy={action.busy}>{t('save')}</SubmitButton>
        </form>
      )}
    </Loaded>
  );
}
