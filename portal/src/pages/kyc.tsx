import { useState, type FormEvent, type ReactNode } from 'react';
import { call } from '../api/client';
import { useMe } from '../app';
import { useI18n } from '../i18n';
import { CodeField, ErrorText, Field, Loaded, SubmitButton, useAction, useAsync } from '../ui';

export function KycPage() {
  const { t } = useI18n();
  const { user } = useMe();
  const kyc = useAsync(() => call<'getKycByUserId'>('GET', `/v1/kyc/${user.id}`), [user.id]);
  return (
    <Loaded state={kyc}>
      {(k) => (
        <>
          <dl className="balances">
            <div>
              <dt>{t('tier')}</dt>
              <dd data-testid="kyc-tier">{k.tier}</dd>
            </div>
            <div>
              <dt>{t('status')}</dt>
              <dd data-testid="kyc-status">{k.status.replace(/_/g, ' ')}</dd>
            </div>
          </dl>
          {k.reason && <p className="error">{k.reason}</p>}
          <Step title={t('kycMobile')} done={k.tier !== 'none'}>
            <OtpStep
              start={() => call('POST', '/v1/kyc/mobile/otp')}
              verify={(otp) => call('POST', '/v1/kyc/mobile/verify', { body: { otp } })}
              onDone={kyc.reload}
            />
          </Step>
          <Step title={t('kycAadhaar')} done={k.aadhaar !== null} note={k.aadhaar}>
            <AadhaarStep onDone={kyc.reload} />
          </Step>
          <Step title={t('kycPan')} done={k.tier === 'full'} note={k.pan}>
            <PanStep onDone={kyc.reload} />
          </Step>
        </>
      )}
    </Loaded>
  );
}

function Step({
  title,
  done,
  note,
  children,
}: {
  title: string;
  done: boolean;
  note?: string | null;
  children: ReactNode;
}) {
  return (
    <section className="card">
      <h2>
        {title} {done && <span aria-label="done">✓</span>}
      </h2>
      {note && <p>{note}</p>}
      {!done && children}
    </section>
  );
}

function OtpStep({
  start,
  verify,
  onDone,
  startLabel,
}: {
  start: () => Promise<unknown>;
  verify: (otp: string) => Promise<unknown>;
  onDone: () => void;
  startLabel?: string;
}) {
  const { t } = useI18n();
  const [sent, setSent] = useState(false);
  const [otp, setOtp] = useState('');
  const [result, setResult] = useState<string>();
  const action = useAction();
  const send = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await start();
      setSent(true);
    });
  };
  const check = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const r = (await verify(otp)) as { status?: string; attemptsLeft?: number };
      setResult([r.status?.replace(/_/g, ' '), r.attemptsLeft === undefined ? '' : `(${r.attemptsLeft})`].join(' '));
      onDone();
    });
  };
  return (
    <>
      {!sent ? (
        <form onSubmit={send}>
          <SubmitButton busy={action.busy}>{startLabel ?? t('sendCode')}</SubmitButton>
        </form>
      ) : (
        <form onSubmit={check}>
          <CodeField value={otp} onChange={setOtp} />
          <SubmitButton busy={action.busy}>{t('verify')}</SubmitButton>
        </form>
      )}
      {result && <p role="status">{result}</p>}
      <ErrorText error={action.error} />
    </>
  );
}

function AadhaarStep({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const [aadhaar, setAadhaar] = useState('');
  const [ready, setReady] = useState(false);
  if (!ready) {
    return (
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setReady(true);
        }}
      >
        <Field label={t('aadhaarNumber')}>
          <input
            name="aadhaarNumber"
            inputMode="numeric"
            pattern="[0-9]{12}"
            maxLength={12}
            required
            autoComplete="off"
            value={aadhaar}
            onChange={(e) => setAadhaar(e.target.value)}
          />
        </Field>
        <button type="submit">{t('next')}</button>
      </form>
    );
  }
  return (
    <OtpStep
      start={() => call('POST', '/v1/kyc/aadhaar/otp', { body: { aadhaarNumber: aadhaar } })}
      verify={(otp) => call('POST', '/v1/kyc/aadhaar/verify', { body: { otp } })}
      onDone={onDone}
    />
  );
}

function PanStep({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const [pan, setPan] = useState('');
  const [name, setName] = useState('');
  const [result, setResult] = useState<string>();
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const r = await call<'postKycPan'>('POST', '/v1/kyc/pan', { body: { pan: pan.toUpperCase(), name } });
      setResult(r.status.replace(/_/g, ' '));
      onDone();
    });
  };
  return (
    <form onSubmit={submit}>
      <Field label={t('pan')}>
        <input
          name="pan"
          pattern="[A-Za-z]{5}[0-9]{4}[A-Za-z]"
          maxLength={10}
          required
          autoComplete="off"
          value={pan}
          onChange={(e) => setPan(e.target.value)}
        />
      </Field>
      <Field label={t('nameOnPan')}>
        <input name="panName" required value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <ErrorText error={action.error} />
      {result && <p role="status">{result}</p>}
      <SubmitButton busy={action.busy}>{t('verify')}</SubmitButton>
    </form>
  );
}
