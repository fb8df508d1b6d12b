import { useState, type FormEvent } from 'react';
import { call, type Reply } from '../api/client';
import { useI18n } from '../i18n';
import { ErrorText, Field, SubmitButton, useAction } from '../ui';

type Provider = Reply<'getProviders'>['items'][number];

/**
 * A provider's definition as JSON text: checked by the API (`?dryRun=true`: validated and one status
 * call, nothing stored), then saved. A new provider when `provider` is absent.
 */
export function ProviderDefinitionForm({ provider, onDone }: { provider?: Provider; onDone: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState(provider?.name ?? '');
  const [text, setText] = useState(provider ? JSON.stringify(provider.definition, null, 2) : '{\n}');
  const [check, setCheck] = useState<string>();
  const action = useAction();
  const send = (dryRun: boolean) => {
    setCheck(undefined);
    let definition: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      definition = parsed as Record<string, unknown>;
    } catch {
      action.setError(t('notJson'));
      return;
    }
    void action.run(async () => {
      const query = { dryRun: dryRun ? ('true' as const) : ('false' as const) };
      const reply = provider
        ? await call<'putProvidersByName'>('PUT', `/v1/providers/${encodeURIComponent(provider.name)}`, {
            query,
            body: { definition },
          })
        : await call<'postProviders'>('POST', '/v1/providers', { query, body: { name, definition } });
      if (!dryRun) {
        onDone();
        return;
      }
      const r = reply as { reachable?: boolean; result?: unknown };
      setCheck(`${r.reachable ? t('reachable') : t('unreachable')}: ${JSON.stringify(r.result)}`);
    });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send(false);
  };
  const label = provider ? `${t('definition')} ${provider.name}` : t('newProvider');
  return (
    <form onSubmit={submit} aria-label={label}>
      {!provider && (
        <Field label={t('providerName')} hint={t('providerNameHint')}>
          <input required pattern="[a-z][a-z0-9_\-]{0,31}" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
      )}
      <Field label={t('definitionJson')}>
        <textarea
          className="code"
          rows={12}
          spellCheck={false}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </Field>
      <button type="button" disabled={action.busy} onClick={() => send(true)}>
        {t('checkDefinition')}
      </button>
      <SubmitButton busy={action.busy}>{t('save')}</SubmitButton>
      {check && <p role="status">{check}</p>}
      <ErrorText error={action.error} />
    </form>
  );
}
