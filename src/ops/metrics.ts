import client from 'prom-client';
import type { Db } from '../db/knex';
import { accountBalances } from '../ledger';
import type { Logger } from '../logger';

/**
 * Operations gauges, read from PostgreSQL when Prometheus scrapes (one set of indexed queries per
 * scrape, shared by every gauge): the worker's side of things (recharge outcomes, provider calls,
 * breakers, holds, reconciliation) is derived from what it wrote, so the API process alone serves
 * it. Counts of "recent" activity cover the last RECENT_MINUTES. Temporal's own worker metrics
 * (workflow task failures among them) come from the worker's endpoint, WORKER_METRICS_PORT.
 */
const RECENT_MINUTES = 15;

interface Snapshot {
  open: Array<{ status: string; provider: string | null; n: number }>;
  recent: Array<{ status: string; provider: string | null; n: number }>;
  calls: Array<{ provider: string; operation: string; n: number; errors: number; avg_ms: number; p95_ms: number }>;
  breakers: Array<{ provider: string; state: string; consecutive_failures: number }>;
  balances: Array<{ provider: string; balance_paise: string; below: boolean }>;
  heldPaise: bigint;
  heldCount: number;
  reconciliation: { ok: boolean; mismatches: number; finished_at: Date } | undefined;
}

async function snapshot(db: Db, clearingAccountId: string): Promise<Snapshot> {
  const rows = async <T>(sql: string, bindings: unknown[] = []) =>
    ((await db.raw(sql, bindings as never)) as { rows: T[] }).rows;
  const [open, recent, calls, breakers, balances, held, reconciliation] = await Promise.all([
    rows<Snapshot['open'][number]>(
      `select status, provider, count(*)::int as n from recharges
        where status in ('received', 'processing', 'pending', 'manual_review') group by status, provider`,
    ),
    rows<Snapshot['recent'][number]>(
      `select status, provider, count(*)::int as n from recharges
        where created_at > now() - make_interval(mins => ?) group by status, provider`,
      [RECENT_MINUTES],
    ),
    // Outgoing calls only (callbacks come in), without the "about to submit" markers (no URL).
    rows<Snapshot['calls'][number]>(
      `select provider, operation, count(*)::int as n, count(*) filter (where error is not null)::int as errors,
              avg(duration_ms)::float8 as avg_ms,
              percentile_cont(0.95) within group (order by duration_ms)::float8 as p95_ms
         from provider_exchanges
        where created_at > now() - make_interval(mins => ?) and operation in ('submit', 'status')
          and request->>'url' <> ''
        group by provider, operation`,
      [RECENT_MINUTES],
    ),
    rows<Snapshot['breakers'][number]>(
      `select p.name as provider, coalesce(h.state, 'closed') as state, coalesce(h.consecutive_failures, 0) as consecutive_failures
         from recharge_providers p left join provider_health h on h.provider = p.name`,
    ),
    rows<Snapshot['balances'][number]>(
      `select b.provider, b.balance_paise::text, b.below
         from provider_balances b join recharge_providers p on p.name = b.provider and p.enabled`,
    ),
    Promise.all([
      accountBalances(db, { ids: [clearingAccountId] }),
      rows<{ n: number }>(
        `select count(*)::int as n from recharges where status in ('processing', 'pending', 'manual_review')`,
      ),
    ]).then(([[clearing], [count]]) => ({ paise: clearing?.creditsPending ?? 0n, n: count?.n ?? 0 })),
    rows<NonNullable<Snapshot['reconciliation']>>(
      `select ok, jsonb_array_length(mismatches) as mismatches, finished_at from reconciliation_runs
        order by finished_at desc limit 1`,
    ),
  ]);
  return {
    open,
    recent,
    calls,
    breakers,
    balances,
    heldPaise: held.paise,
    heldCount: held.n,
    reconciliation: reconciliation[0],
  };
}

/** Registers the operations gauges on `registry`; `clearingAccountId` is where recharge holds sit. */
export function registerOpsMetrics(registry: client.Registry, db: Db, clearingAccountId: string, log: Logger): void {
  const gauge = gaugeFactory(registry, sharedSnapshot(db, clearingAccountId, log));
  rechargeGauges(gauge);
  providerGauges(gauge);
  holdGauges(gauge);
  reconciliationGauges(gauge);
}

/** Every gauge's collect() asks for the snapshot; one scrape runs the queries once. */
function sharedSnapshot(db: Db, clearingAccountId: string, log: Logger): () => Promise<Snapshot | undefined> {
  let pending: Promise<Snapshot | undefined> | undefined;
  return () => {
    pending ??= snapshot(db, clearingAccountId)
      .catch((err: unknown) => {
        log.warn({ err }, 'metrics: could not read the operations gauges');
        return undefined;
      })
      .finally(() => setTimeout(() => (pending = undefined), 1000).unref());
    return pending;
  };
}

type DefineGauge = <L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  fill: (g: client.Gauge<L>, s: Snapshot) => void,
) => void;

/** A gauge on `registry` filled from the current snapshot at each scrape (left empty when it could not be read). */
function gaugeFactory(registry: client.Registry, current: () => Promise<Snapshot | undefined>): DefineGauge {
  return (name, help, labelNames, fill) => {
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        const s = await current();
        if (s) fill(this, s);
      },
    });
  };
}

const provider = (p: string | null) => p ?? 'none';

function rechargeGauges(gauge: DefineGauge): void {
  gauge('tijori_recharges_open', 'Recharges not yet final, by status and provider', ['status', 'provider'], (g, s) => {
    for (const r of s.open) g.set({ status: r.status, provider: provider(r.provider) }, r.n);
  });
  gauge(
    'tijori_recharges_recent',
    `Recharges created in the last ${RECENT_MINUTES} minutes, by current status and provider`,
    ['status', 'provider'],
    (g, s) => {
      for (const r of s.recent) g.set({ status: r.status, provider: provider(r.provider) }, r.n);
    },
  );
}

function providerGauges(gauge: DefineGauge): void {
  gauge(
    'tijori_provider_calls_recent',
    `Calls to recharge providers in the last ${RECENT_MINUTES} minutes`,
    ['provider', 'operation'],
    (g, s) => {
      for (const c of s.calls) g.set({ provider: c.provider, operation: c.operation }, c.n);
    },
  );
  gauge(
    'tijori_provider_error_ratio',
    `Share of provider calls in the last ${RECENT_MINUTES} minutes that got no usable answer (refused, timed out, unavailable)`,
    ['provider', 'operation'],
    (g, s) => {
      for (const c of s.calls) g.set({ provider: c.provider, operation: c.operation }, c.n ? c.errors / c.n : 0);
    },
  );
  gauge(
    'tijori_provider_latency_seconds',
    `Provider call latency over the last ${RECENT_MINUTES} minutes (stat: avg or p95)`,
    ['provider', 'operation', 'stat'],
    (g, s) => {
      for (const c of s.calls) {
        g.set({ provider: c.provider, operation: c.operation, stat: 'avg' }, c.avg_ms / 1000);
        g.set({ provider: c.provider, operation: c.operation, stat: 'p95' }, c.p95_ms / 1000);
      }
    },
  );
  gauge(
    'tijori_provider_circuit_state',
    'Circuit breaker of each recharge provider: 1 for its current state',
    ['provider', 'state'],
    (g, s) => {
      for (const b of s.breakers) {
        for (const state of ['closed', 'open', 'half_open'])
          g.set({ provider: b.provider, state }, b.state === state ? 1 : 0);
      }
    },
  );
  gauge(
    'tijori_provider_consecutive_failures',
    'Consecutive failures counted by each breaker',
    ['provider'],
    (g, s) => {
      for (const b of s.breakers) g.set({ provider: b.provider }, b.consecutive_failures);
    },
  );
  gauge(
    'tijori_provider_balance_paise',
    "Prepaid balance with each provider, as the reconciliation's last check read it",
    ['provider'],
    (g, s) => {
      for (const b of s.balances) g.set({ provider: b.provider }, Number(b.balance_paise));
    },
  );
  gauge(
    'tijori_provider_balance_low',
    "Whether a provider's prepaid balance is below its alert level (1) or not (0), at the last check",
    ['provider'],
    (g, s) => {
      for (const b of s.balances) g.set({ provider: b.provider }, b.below ? 1 : 0);
    },
  );
}

function holdGauges(gauge: DefineGauge): void {
  gauge(
    'tijori_holds_outstanding',
    'Recharges holding wallet money (processing, pending, manual review)',
    [],
    (g, s) => {
      g.set(s.heldCount);
    },
  );
  gauge('tijori_holds_outstanding_paise', 'Paise held by outstanding recharge holds (ledger)', [], (g, s) => {
    g.set(Number(s.heldPaise));
  });
}

function reconciliationGauges(gauge: DefineGauge): void {
  gauge(
    'tijori_reconciliation_ok',
    'Whether the latest reconciliation run found the books right (1) or not (0)',
    [],
    (g, s) => {
      if (s.reconciliation) g.set(s.reconciliation.ok ? 1 : 0);
    },
  );
  gauge('tijori_reconciliation_mismatches', 'Problems found by the latest reconciliation run', [], (g, s) => {
    if (s.reconciliation) g.set(s.reconciliation.mismatches);
  });
  gauge(
    'tijori_reconciliation_last_run_timestamp_seconds',
    'When the latest reconciliation run finished (alert when it is older than two intervals)',
    [],
    (g, s) => {
      if (s.reconciliation) g.set(s.reconciliation.finished_at.getTime() / 1000);
    },
  );
}
