import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
  type Client,
  type ScheduleOptionsAction,
} from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import {
  accountBalances,
  isHoldResolved,
  netIntoAccountByReference,
  outstandingHolds,
  providerSettlementAccount,
} from '../ledger';
import { rechargeReference } from '../recharges/postings';
import type {
  HoldCheck,
  Mismatch,
  ProviderSettlement,
  ReconciliationInput,
  ReconciliationRun,
  SettlementCheck,
} from './reconciliation-run';

export * from './reconciliation-run';

/**
 * The hourly proof of the books (docs/RUNBOOK.md "Reconciliation"): the ledger's own invariants,
 * every outstanding hold owned by a live recharge, and each provider's settlement account equal to
 * the recharges that provider confirmed. The checks run as activities of reconciliationWorkflow;
 * each run is stored in reconciliation_runs.
 */

export const RECONCILIATION_SCHEDULE_ID = 'reconciliation-hourly';
export const reconciliationWorkflowType = 'reconciliationWorkflow';

/** At most this many problems are kept per check; the counts stay exact. */
const MAX_LISTED = 100;
/**
 * A recharge's ledger legs and its projection row are written in separate transactions moments
 * apart; a disagreement younger than this is a recharge in flight, not a mismatch.
 */
const IN_FLIGHT_SECONDS = 120;

/** Whether a workflow is running now; undefined when Temporal has never heard of it. */
export type WorkflowLiveness = (workflowId: string) => Promise<'running' | 'closed' | undefined>;

export function workflowLiveness(client: Client): WorkflowLiveness {
  return async (workflowId) => {
    try {
      const d = await client.workflow.getHandle(workflowId).describe();
      return d.status.name === 'RUNNING' ? 'running' : 'closed';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  };
}

interface HoldRow {
  id: string;
  amount: bigint;
  reference: string | null;
  created_at: Date;
  recharge_id: string | null;
  recharge_status: string | null;
  workflow_id: string | null;
}

const openRechargeStatuses = ['received', 'processing', 'pending', 'manual_review'];

/** Each outstanding hold with the recharge its reference names, if that recharge exists. */
async function holdsWithOwners(db: Db): Promise<HoldRow[]> {
  const holds = await outstandingHolds(db);
  const prefix = rechargeReference('');
  const owners = holds.flatMap((h) => (h.reference?.startsWith(prefix) ? [h.reference.slice(prefix.length)] : []));
  const recharges = new Map(
    owners.length === 0
      ? []
      : (
          (await db('recharges')
            .whereRaw('id = any(?)', [[...new Set(owners)]])
            .select('id', 'status', 'workflow_id')) as Array<{ id: string; status: string; workflow_id: string }>
        ).map((r) => [r.id, r]),
  );
  return holds.map((h) => {
    const r = h.reference?.startsWith(prefix) ? recharges.get(h.reference.slice(prefix.length)) : undefined;
    return {
      id: h.id,
      amount: h.amount,
      reference: h.reference,
      created_at: h.createdAt,
      recharge_id: r?.id ?? null,
      recharge_status: r?.status ?? null,
      workflow_id: r?.workflow_id ?? null,
    };
  });
}

/**
 * Every outstanding hold must belong to a recharge that is still open and whose workflow is still
 * running (recharge holds carry the reference `recharge:<id>`, activities/recharges.ts; a hold is
 * resolved by the one post or void naming it). Top-ups credit at once and never hold. Anything
 * else is money held with nobody to release it. Newest first: the list is capped, the count is not.
 */
export async function checkHolds(db: Db, liveness: WorkflowLiveness): Promise<HoldCheck> {
  const rows = await db.transaction(async (trx) => {
    await trx.raw('set transaction isolation level repeatable read, read only');
    return holdsWithOwners(trx);
  });
  const mismatches: Mismatch[] = [];
  let total = 0n;
  const hold = (r: HoldRow, code: string, message: string) =>
    mismatches.push({
      check: 'holds',
      code,
      message,
      transferId: r.id,
      reference: r.reference,
      amount: r.amount.toString(),
      createdAt: r.created_at.toISOString(),
      ...(r.recharge_id ? { rechargeId: r.recharge_id, workflowId: r.workflow_id } : {}),
    });
  const live: HoldRow[] = [];
  for (const r of rows) {
    total += r.amount;
    if (!r.recharge_id) {
      hold(
        r,
        'hold_without_owner',
        `hold ${r.id} (${r.amount} paise, reference ${r.reference ?? 'none'}) belongs to no recharge`,
      );
    } else if (!openRechargeStatuses.includes(r.recharge_status!)) {
      hold(
        r,
        'hold_of_finished_recharge',
        `hold ${r.id} is outstanding but recharge ${r.recharge_id} is ${r.recharge_status}`,
      );
    } else {
      live.push(r);
    }
  }
  // One describe per open recharge holding money: bounded by the recharges in flight.
  for (let i = 0; i < live.length; i += 8) {
    await Promise.all(
      live.slice(i, i + 8).map(async (r) => {
        const state = await liveness(r.workflow_id!);
        if (state === 'running') return;
        // It may have settled and finished between the two reads: look at the hold again.
        if (await isHoldResolved(db, r.id)) return;
        hold(
          r,
          'hold_of_closed_workflow',
          `hold ${r.id} of ${r.recharge_status} recharge ${r.recharge_id}: its workflow ${r.workflow_id} is ${state ?? 'unknown to Temporal'}`,
        );
      }),
    );
  }
  return {
    outstanding: rows.length,
    outstandingPaise: total.toString(),
    mismatchCount: mismatches.length,
    mismatches: mismatches.slice(0, MAX_LISTED),
  };
}

interface SettlementRow {
  provider: string;
  confirmed: bigint;
  booked: bigint;
  recharges: number;
}

interface DisagreementRow {
  id: string;
  status: string;
  amount: bigint;
  settled: bigint;
  in_flight: boolean;
}

/**
 * Each provider's settlement account must hold exactly the sum of the recharges it confirmed and
 * that were not reversed: a success credits it (`<id>:settle`), a reversal debits it back
 * (`<id>:settle:reversal`), both with the recharge's reference. One consistent snapshot; recharges caught between their ledger write
 * and their status change are counted as in flight rather than reported.
 */
export async function checkSettlements(db: Db): Promise<SettlementCheck> {
  const prefix = providerSettlementAccount('');
  return db.transaction(async (trx) => {
    await trx.raw('set transaction isolation level repeatable read, read only');
    const confirmed = (await trx('recharges')
      .where({ status: 'success' })
      .whereNotNull('provider')
      .groupBy('provider')
      .select('provider', trx.raw('sum(amount)::int8 as amount'), trx.raw('count(*)::int as n'))) as Array<{
      provider: string;
      amount: bigint;
      n: number;
    }>;
    const booked = new Map(
      (await accountBalances(trx, { idPrefix: prefix })).map((a) => [
        a.id.slice(prefix.length),
        a.creditsPosted - a.debitsPosted,
      ]),
    );
    const byProvider = new Map(confirmed.map((c) => [c.provider, c]));
    const rows: SettlementRow[] = [...new Set([...byProvider.keys(), ...booked.keys()])].sort().map((provider) => ({
      provider,
      confirmed: byProvider.get(provider)?.amount ?? 0n,
      booked: booked.get(provider) ?? 0n,
      recharges: byProvider.get(provider)?.n ?? 0,
    }));
    const providers: ProviderSettlement[] = [];
    const mismatches: Mismatch[] = [];
    for (const r of rows) {
      const entry: ProviderSettlement = {
        provider: r.provider,
        confirmedPaise: r.confirmed.toString(),
        bookedPaise: r.booked.toString(),
        recharges: r.recharges,
        inFlight: 0,
      };
      providers.push(entry);
      if (r.booked === r.confirmed) continue;
      const moved = netIntoAccountByReference(
        trx,
        providerSettlementAccount(r.provider),
        trx.raw('? || r.id', [rechargeReference('')]),
      );
      const disagreeing = (
        (await trx.raw(
          `select r.id, r.status, r.amount, s.net as settled,
                  s.last_at > now() - make_interval(secs => ?) as in_flight
             from recharges r
             cross join lateral (?) s
            where (r.provider = ? or s.n > 0)
              and s.net <> case when r.status = 'success' then r.amount else 0 end
            order by r.created_at limit ?`,
          [IN_FLIGHT_SECONDS, moved, r.provider, MAX_LISTED + 1],
        )) as { rows: DisagreementRow[] }
      ).rows;
      const inFlight = disagreeing.filter((d) => d.in_flight);
      entry.inFlight = inFlight.length;
      const explained = inFlight.reduce((sum, d) => sum + d.settled - (d.status === 'success' ? d.amount : 0n), 0n);
      if (r.booked - r.confirmed === explained && disagreeing.length <= MAX_LISTED) continue;
      const gap = r.booked - r.confirmed;
      mismatches.push({
        check: 'settlements',
        code: 'provider_settlement_mismatch',
        message: `provider ${r.provider}: settlement account holds ${r.booked} paise, confirmed recharges sum to ${r.confirmed} (${gap > 0n ? 'ledger ' + gap + ' more' : 'ledger ' + -gap + ' less'})`,
        provider: r.provider,
        bookedPaise: r.booked.toString(),
        confirmedPaise: r.confirmed.toString(),
        recharges: disagreeing
          .filter((d) => !d.in_flight)
          .slice(0, MAX_LISTED)
          .map((d) => ({ id: d.id, status: d.status, amount: d.amount.toString(), settled: d.settled.toString() })),
      });
    }
    return { providers, mismatches };
  });
}

interface RunRow {
  id: string;
  workflow_id: string;
  trigger: ReconciliationInput['trigger'];
  ok: boolean;
  started_at: Date;
  finished_at: Date;
  summary: ReconciliationRun['summary'];
  mismatches: Mismatch[];
}

/** reconciliation_runs: one row per workflow run, written once (a retried activity finds it there). */
export class ReconciliationStore {
  constructor(private readonly db: Db) {}

  /** Stores the run (finished now); returns it as stored. */
  async record(run: Omit<ReconciliationRun, 'finishedAt'>): Promise<ReconciliationRun> {
    await this.db('reconciliation_runs')
      .insert({
        id: run.id,
        workflow_id: run.workflowId,
        trigger: run.trigger,
        ok: run.ok,
        started_at: run.startedAt,
        summary: JSON.stringify(run.summary),
        mismatches: JSON.stringify(run.mismatches),
      })
      .onConflict('id')
      .ignore();
    return toRun((await this.db('reconciliation_runs').where({ id: run.id }).first()) as RunRow);
  }

  async latest(): Promise<ReconciliationRun | undefined> {
    const row = (await this.db('reconciliation_runs').orderBy('finished_at', 'desc').first()) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }
}

function toRun(row: RunRow): ReconciliationRun {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    trigger: row.trigger,
    ok: row.ok,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at.toISOString(),
    summary: row.summary,
    mismatches: row.mismatches,
  };
}

function scheduledAction(config: Config): ScheduleOptionsAction {
  const input: ReconciliationInput = { trigger: 'schedule', alertEmail: config.notify.opsAlertEmail };
  return {
    type: 'startWorkflow',
    workflowType: reconciliationWorkflowType,
    workflowId: 'reconciliation',
    taskQueue: config.temporal.taskQueue,
    args: [input],
  };
}

/**
 * Creates the reconciliation schedule, or brings an existing one in line with the configuration
 * (interval, task queue, alert address): safe to call from every worker at start.
 */
export async function ensureReconciliationSchedule(
  client: Client,
  config: Config,
): Promise<{ scheduleId: string; created: boolean; intervalSeconds: number }> {
  const intervalSeconds = config.ops.reconciliationIntervalSeconds;
  const spec = { intervals: [{ every: `${intervalSeconds}s` as const }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' as const };
  try {
    await client.schedule.create({
      scheduleId: RECONCILIATION_SCHEDULE_ID,
      spec,
      action: scheduledAction(config),
      policies,
    });
    return { scheduleId: RECONCILIATION_SCHEDULE_ID, created: true, intervalSeconds };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).update((previous) => ({
    ...previous,
    spec,
    action: scheduledAction(config),
    policies: { ...previous.policies, ...policies },
  }));
  return { scheduleId: RECONCILIATION_SCHEDULE_ID, created: false, intervalSeconds };
}
