import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import type { Logger } from '../../logger';
import { parseDefinition, ProviderConfigError, type ProviderDefinition, type ProviderEnvironment } from './definition';
import { HttpRechargeProvider } from './http-provider';
import type { RechargeProvider } from './types';

export function providerEnvironment(
  providers: Pick<Config['providers'], 'operatorBaseUrl' | 'credentials' | 'maxRequestTimeoutMs'>,
): ProviderEnvironment {
  return {
    placeholders: providers.operatorBaseUrl === undefined ? {} : { operatorBaseUrl: providers.operatorBaseUrl },
    secrets: providers.credentials,
    maxTimeoutMs: providers.maxRequestTimeoutMs,
  };
}

function capTimeout(def: ProviderDefinition, env: ProviderEnvironment): ProviderDefinition {
  return env.maxTimeoutMs && env.maxTimeoutMs < def.timeoutMs ? { ...def, timeoutMs: env.maxTimeoutMs } : def;
}

interface Loaded {
  at: number;
  /** The table's stamp when read (rows and their last change): a differing stamp means reload. */
  stamp: string;
  providers: Map<string, RechargeProvider>;
  /** Why each provider left out was left out. */
  refused: Array<{ name: string; enabled: boolean; reason: string }>;
  /** The variable holding each built provider's callback secret. */
  callbackSecretEnv: Map<string, string>;
}

/**
 * Providers built from recharge_providers, cached until the table changes: every get() compares
 * the table's stamp (row count and latest updated_at, one index-free aggregate over a handful of
 * rows), so a provider added or edited over the API is used at once by every process; `ttlMs`
 * bounds how long a change made without touching updated_at goes unseen.
 *
 * Disabled providers are built too: `enabled` keeps new recharges away from a provider (routing),
 * but recharges it already holds still need status checks and callbacks. A definition that does
 * not parse or names a missing secret is logged and left out.
 */
export class ProviderRegistry {
  private loaded?: Loaded;
  private loading?: Promise<Loaded>;

  constructor(
    private readonly db: Db,
    private readonly env: ProviderEnvironment,
    private readonly opts: { ttlMs?: number; log?: Logger } = {},
  ) {}

  async get(name: string): Promise<RechargeProvider | undefined> {
    return (await this.current()).providers.get(name);
  }

  async reload(): Promise<void> {
    this.loaded = await this.load();
  }

  /**
   * For start-up in production: every enabled provider is built (its definition parses, every
   * variable it names is set) and has a callback secret no other provider shares, or this throws
   * one ProviderConfigError naming each problem. Disabled providers that cannot be built are only
   * logged: they route nothing, and their callbacks are refused.
   */
  async assertUsable(): Promise<void> {
    const loaded = await this.load();
    this.loaded = loaded;
    const problems = loaded.refused.filter((r) => r.enabled).map((r) => r.reason);
    const bySecret = new Map<string, Array<[name: string, variable: string]>>();
    for (const [name, variable] of loaded.callbackSecretEnv) {
      const value = this.env.secrets[variable]!;
      bySecret.set(value, [...(bySecret.get(value) ?? []), [name, variable]]);
    }
    for (const sharing of bySecret.values()) {
      if (sharing.length < 2) continue;
      const names = sharing.map(([name]) => name).join(', ');
      const variables = [...new Set(sharing.map(([, variable]) => variable))].join(', ');
      problems.push(`providers ${names} share one callback secret (${variables}): each needs its own`);
    }
    if (problems.length) {
      throw new ProviderConfigError(
        `Invalid recharge provider configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      );
    }
  }

  private async current(): Promise<Loaded> {
    if (
      this.loaded &&
      Date.now() - this.loaded.at < (this.opts.ttlMs ?? 10_000) &&
      this.loaded.stamp === (await this.stamp())
    ) {
      return this.loaded;
    }
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    this.loaded = await this.loading;
    return this.loaded;
  }

  private async stamp(): Promise<string> {
    const { rows } = (await this.db.raw(
      `select count(*) || '/' || coalesce(max(updated_at)::text, '') as stamp from recharge_providers`,
    )) as { rows: Array<{ stamp: string }> };
    return rows[0]!.stamp;
  }

  private async load(): Promise<Loaded> {
    const stamp = await this.stamp();
    const rows = (await this.db('recharge_providers').select('name', 'enabled', 'definition')) as Array<{
      name: string;
      enabled: boolean;
      definition: unknown;
    }>;
    const loaded: Loaded = { at: Date.now(), stamp, providers: new Map(), refused: [], callbackSecretEnv: new Map() };
    for (const row of rows) {
      try {
        const def = capTimeout(parseDefinition(row.name, row.definition), this.env);
        loaded.providers.set(row.name, new HttpRechargeProvider(row.name, def, this.env));
        loaded.callbackSecretEnv.set(row.name, def.callback.signature.secretEnv);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        loaded.refused.push({ name: row.name, enabled: row.enabled, reason });
        this.opts.log?.error({ provider: row.name, err }, 'recharge provider left out: bad configuration');
      }
    }
    return loaded;
  }
}
