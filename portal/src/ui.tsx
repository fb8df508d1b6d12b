import { useCallback, useEffect, useState, type ReactNode } from 'react';
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

/** A six-digit number typed on a phone's number pad: the step-up mPIN, hidden as it is typed. */
export function MpinField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const { t } = useI18n();
  return (
    <Field label={t('mpin')} hint={t('mpinNeeded')}>
      <input
        name="mpin"
        type="password"
        inputMode="numeric"
        pattern="[0-9]{6}"
        maxLength={6}
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </Field>
  );
}

/** The six-digit code an SMS brought (sign-in, KYC's mobile step). */
export function CodeField({
  value,
  onChange,
  autoComplete,
}: {
  value: string;
  onChange: (v: string) => void;
  autoComplete?: string;
}) {
  const { t } = useI18n();
  return (
    <Field label={t('code')}>
      <input
        name="otp"
        inputMode="numeric"
        autoComplete={autoComplete}
        pattern="[0-9]{6}"
        maxLength={6}
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </Field>
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
