import { createHmac } from 'node:crypto';
import type { Db } from '../../src/db/knex';
import { parseDefinition, type ProviderDefinition } from '../../src/providers/recharge/definition';

/** A provider's status in its simulator's words (and the order the definition's code lists are read in). */
export type ProviderStatus = 'SUCCESS' | 'PENDING' | 'FAILED' | 'REVERSED';

export interface CallbackFields {
  clientRef: string;
  status: ProviderStatus;
  providerTxnId?: string | null;
  operatorRef?: string | null;
  message?: string;
}

export interface CallbackReply {
  status: number;
  body: unknown;
}

const codeList = { SUCCESS: 'success', PENDING: 'pending', FAILED: 'failed', REVERSED: 'reversed' } as const;

/**
 * Callbacks as a provider would send them: the body in the provider's own format and field names,
 * signed the way the adapter verifies it (src/providers/recharge/http-provider.ts parseCallback),
 * all read from the provider definitions in the database and the secrets in the stack's config.
 */
export class ProviderCallbacks {
  private constructor(
    private readonly apiUrl: string,
    private readonly defs: ReadonlyMap<string, ProviderDefinition>,
    private readonly secrets: Readonly<Record<string, string>>,
  ) {}

  static async load(db: Db, apiUrl: string, secrets: Readonly<Record<string, string>>): Promise<ProviderCallbacks> {
    const rows = (await db('recharge_providers').select('name', 'definition')) as Array<{
      name: string;
      definition: unknown;
    }>;
    const defs = new Map(
      rows.map((r) => [
        r.name,
        parseDefinition(r.name, typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition),
      ]),
    );
    return new ProviderCallbacks(apiUrl, defs, secrets);
  }

  private def(provider: string): ProviderDefinition {
    const def = this.defs.get(provider);
    if (!def) throw new Error(`no definition for provider ${provider}`);
    return def;
  }

  /** The raw body and headers of a signed callback from `provider`. */
  build(provider: string, f: CallbackFields): { body: string; headers: Record<string, string> } {
    const def = this.def(provider);
    const cb = def.callback;
    const code = def.response.codes[codeList[f.status]][0];
    if (code === undefined) throw new Error(`${provider} has no code for ${f.status}`);
    const doc: Record<string, string> = { [cb.fields.clientRef]: f.clientRef, [cb.fields.status]: code };
    const optional = [
      [cb.fields.providerTxnId, f.providerTxnId],
      [cb.fields.operatorRef, f.operatorRef],
      [cb.fields.message, f.message],
    ] as const;
    for (const [field, value] of optional) if (field && value) doc[field] = value;
    const form = cb.format === 'form';
    const body = form ? new URLSearchParams(doc).toString() : JSON.stringify(doc);
    const secret = this.secrets[cb.signature.secretEnv];
    if (!secret) throw new Error(`${cb.signature.secretEnv} is not in the stack's provider credentials`);
    const signature = createHmac('sha256', secret).update(body).digest(cb.signature.encoding);
    return {
      body,
      headers: {
        'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json',
        [cb.signature.header]: signature,
      },
    };
  }

  async send(provider: string, f: CallbackFields): Promise<CallbackReply> {
    const { body, headers } = this.build(provider, f);
    const res = await fetch(`${this.apiUrl}/v1/providers/${provider}/callback`, { method: 'POST', headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the report
    }
    return { status: res.status, body: parsed };
  }
}
