import { useState, type FormEvent } from 'react';
import { call, setSession } from '../api/client';
import { useI18n } from '../i18n';
import { CodeField, ErrorText, Field, MobileInput, SubmitButton, useAction } from '../ui';

export function SignIn() {
  const { t } = useI18n();
  const [mobile, setMobile] = useState('');
  const [challenge, setChallenge] = useState<string>();
  const [otp, setOtp] = useState('');
  const action = useAction();

  const requestCode = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const c = await call<'postAuthOtp'>('POST', '/v1/auth/otp', { body: { mobile: mobile.trim() } });
      setChallenge(c.challengeId);
      setOtp('');
    });
  };
  const verify = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      setSession(
        await call<'postAuthOtpVerify'>('POST', '/v1/auth/otp/verify', {
          body: { challengeId: challenge!, otp: otp.trim() },
        }),
      );
    });
  };

  return (
    <section className="card narrow">
      <h1>{t('signIn')}</h1>
      {!challenge ? (
        <form onSubmit={requestCode}>
          <Field label={t('mobile')}>
            <MobileInput value={mobile} onChange={setMobile} inputMode="numeric" autoComplete="tel-national" />
          </Field>
          <SubmitButton busy={action.busy}>{t('sendCode')}</SubmitButton>
        </form>
      ) : (
        <form onSubmit={verify}>
          <p>
            {t('codeSent')} {mobile}
          </p>
          <CodeField value={otp} onChange={setOtp} autoComplete="one-time-code" />
          <SubmitButton busy={action.busy}>{t('verify')}</SubmitButton>
          <button type="button" className="link" onClick={() => setChallenge(undefined)}>
            {t('changeNumber')}
          </button>
        </form>
      )}
      <ErrorText error={action.error} />
    </section>
  );
}
