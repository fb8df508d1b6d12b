/**
 * Bench-only workflows (bench/recharge.ts, "ceiling"): what the Temporal server carries when the
 * workflow does nothing, and when it has the recharge's shape with no database and no HTTP.
 * Bundled for the bench's own worker (bench/ceiling-worker.ts), never part of workflows/.
 */
import { patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes } from '../src/temporal/search-attributes';
import type * as activities from './ceiling-activities';

// The same options as the recharge workflow's proxies, so the server does the same work.
const local = proxyLocalActivities<typeof activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
const remote = proxyActivities<typeof activities>({
  startToCloseTimeout: '60 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** The least Temporal can do for one durable workflow per recharge. */
export async function emptyWorkflow(): Promise<void> {}

/** Hold, provider call, capture: local activity, activity, local activity. */
export async function rechargeShapeWorkflow(): Promise<void> {
  await local.nothing();
  await remote.nothing();
  await local.nothing();
}

/**
 * What-ifs for the recharge workflow, measured on the same server in the same run. A recharge
 * today also calls patched() three times on its success path (each new run records a marker and
 * the SDK upserts the TemporalChangeVersion search attribute beside it) and upserts its final
 * status and provider; these add exactly that to the shape, then take parts away.
 */
export async function rechargeTodayWorkflow(): Promise<void> {
  patched('bench-a');
  patched('bench-b');
  await rechargeShapeWorkflow();
  patched('bench-c');
  upsertStatus();
}

/** One patch instead of three. */
export async function rechargeOnePatchWorkflow(): Promise<void> {
  patched('bench-a');
  await rechargeShapeWorkflow();
  upsertStatus();
}

/** One patch, and no search-attribute upsert of the final status. */
export async function rechargeOnePatchNoUpsertWorkflow(): Promise<void> {
  patched('bench-a');
  await rechargeShapeWorkflow();
}

/** One patch, and the provider call as a local activity too: one workflow task, no activity task. */
export async function rechargeOnePatchAllLocalWorkflow(): Promise<void> {
  patched('bench-a');
  await local.nothing();
  await local.nothing();
  await local.nothing();
  upsertStatus();
}

function upsertStatus(): void {
  upsertSearchAttributes([
    { key: searchAttributes.rechargeStatus, value: 'success' },
    { key: searchAttributes.provider, value: 'bench' },
  ]);
}
