import { useCallback, useEffect, useState, type ComponentProps, type ReactNode } from 'react';
import { messageOf } from './error-text';
import { formatPaise } from './money';
import { useI18n } from './i18n';

export interface Async<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change; `reload` runs it again. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const { lang } = useI18n();
  const [state, setState] = useState<{ data?: T; failure?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setState((s) => ({ data: s.data, loading: true }));
    run().then(
      (data) => live && setState({ data, loading: false }),
      (failure: unknown) => live && setState({ failure: failure ?? 'failed', loading: false }),
    );
    return () => {
      live = false;
    };
  }, [run, round]);
  const { failure, ...rest } = state;
  return {
    ...rest,
    error: failure === undefined ? undefined : messageOf(failure, lang),
    reload: () => setRound((r) => r + 1),
  };
}

/** A submit action: `busy` while it runs, its error in plain words after. */
export function useAction() {
  const { lang } = useI18n();
  const [busy, setBusy] = useState(false);
  // The failure itself, so that its words follow a change of language.
  const [failure, setError] = useState<unknown>();
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(err ?? 'failed');
    } finally {
      setBusy(false);
    }
  };
  const error = failure === undefined ? undefined : messageOf(failure, lang);
  return { busy, error, run, setError };
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p role="status" className="loading">
      {t('loading')}
    </p>
  );
}

export function ErrorText({ error, onRetry }: { error?: string; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  return (
    <div role="alert" className="error">
      <span>{error}</span>
      {onRetry && (
        <button type="button" className="link" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

/** The loading and error states of a request, then its content. */
export function Loaded<T>({ state, children }: { state: Async<T>; children: (data: T) => ReactNode }) {
  if (state.error) return <ErrorText error={state.error} onRetry={state.reload} />;
  if (state.data === undefined) return <Loading />;
  return <>{children(state.data)}</>;
}

export function Money({ paise, className }: { paise: number; className?: string }) {
  return <span className={className ? `money ${className}` : 'money'}>{formatPaise(paise)}</span>;
}

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: string }) {
  return (
    <label className="field">
      <span className="label">{label}</span>
      {children}
      {hint && <span className="hint">{hint}</span>}
    </label>
  );
}

interface DigitsProps {
  value: string;
  onChange: (v: string) => void;
}

type InputAttributes = Pick<ComponentProps<'input'>, 'name' | 'type' | 'inputMode' | 'autoComplete'>;

/** A required number of a fixed form, typed on a phone's number pad. */
function DigitsInput({
  value,
  onChange,
  ...input
}: DigitsProps & InputAttributes & { pattern: string; maxLength: number }) {
  return <input {...input} required value={value} onChange={(e) => onChange(e.target.value)} />;
}

/** An Indian mobile number: ten digits, the first 6 to 9. */
export function MobileInput(props: DigitsProps & Pick<InputAttributes, 'inputMode' | 'autoComplete'>) {
  return <DigitsInput name="mobile" type="tel" pattern="[6-9][0-9]{9}" maxLength={10} {...props} />;
}

/** A six-digit number. */
function SixDigits(props: DigitsProps & Omit<InputAttributes, 'inputMode'>) {
  return <DigitsInput inputMode="numeric" pattern="[0-9]{6}" maxLength={6} {...props} />;
}

/** The step-up mPIN, hidden as it is typed. */
export function MpinField(props: DigitsProps) {
  const { t } = useI18n();
  return (
    <Field label={t('mpin')} hint={t('mpinNeeded')}>
      <SixDigits name="mpin" type="password" {...props} />
    </Field>
  );
}

/** The code an SMS brought (sign-in, KYC's mobile step). */
export function CodeField(props: DigitsProps & Pick<InputAttributes, 'autoComplete'>) {
  const { t } = useI18n();
  return (
    <Field label={t('code')}>
      <SixDigits name="otp" {...props} />
    </Field>
  );
}

/** A button `text` (for the item `name`, if any), and in its place its form until the form is done. */
export function FormInPlace({
  text,
  name,
  form,
  onDone,
}: {
  text: string;
  name?: string;
  form: (done: () => void) => ReactNode;
  onDone: () => void;
}) {
  const [open, setOpen] = useState(false);
  return open ? (
    form(() => {
      setOpen(false);
      onDone();
    })
  ) : (
    <button type="button" onClick={() => setOpen(true)} aria-label={name === undefined ? undefined : `${text} ${name}`}>
      {text}
    </button>
  );
}

export function SubmitButton({ busy, children }: { busy: boolean; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <button type="submit" disabled={busy} aria-busy={busy}>
      {busy ? t('working') : children}
    </button>
  );
}
