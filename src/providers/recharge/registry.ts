import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import type { Logger } from '../../logger';
import { parseDefinition, type ProviderDefinition, type ProviderEnvironment } from './definition';
import { HttpRechargeProvider } from './http-provider';
import type { RechargeProvider } from './types';

export function providerEnvironment(
  providers: Pick<Config['providers'], 'operatorBaseUrl' | 'credentials' | 'maxRequestTimeoutMs'>,
): ProviderEnvironment {
  return {
    placeholders: { operatorBaseUrl: providers.operatorBaseUrl },
    secrets: providers.credentials,
    maxTimeoutMs: providers.maxRequestTimeoutMs,
  };
}

function capTimeout(def: ProviderDefinition, env: ProviderEnvironment): ProviderDefinition {
  return env.maxTimeoutMs && env.maxTimeoutMs < def.timeoutMs ? { ...def, timeoutMs: env.maxTimeoutMs } : def;
}

interface Loaded {
  at: number;
  providers: Map<string, RechargeProvider>;
}

/**
 * Providers built from recharge_providers, cached for `ttlMs` so a definition changed in the
 * database takes effect within that time in every process (or at once with reload()).
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

  private async current(): Promise<Loaded> {
    if (this.loaded && Date.now() - this.loaded.at < (this.opts.ttlMs ?? 10_000)) return this.loaded;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    this.loaded = await this.loading;
    return this.loaded;
  }

  private async load(): Promise<Loaded> {
    const rows = (await this.db('recharge_providers').select('name', 'definition')) as Array<{
      name: string;
      definition: unknown;
    }>;
    const providers = new Map<string, RechargeProvider>();
    for (const row of rows) {
      try {
        providers.set(
          row.name,
          new HttpRechargeProvider(row.name, capTimeout(parseDefinition(row.name, row.definition), this.env), this.env),
        );
      } catch (err) {
        this.opts.log?.error({ provider: row.name, err }, 'recharge provider left out: bad configuration');
      }
    }
    return { at: Date.now(), providers };
  }
}
