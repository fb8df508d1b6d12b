import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import type { Db } from '../../src/db/knex';
import { Ledger, systemAccounts, walletAccountId } from '../../src/ledger';
import { connectClient } from '../../src/temporal/connection';
import { ApiClient, adminKey } from '../support/api';
import { testDb, uniq } from '../support/db';
import { ProviderCallbacks } from '../support/provider-callbacks';
import { RechargeModelDriver, type RunResult } from '../support/recharge-driver';
import {
  ISSUE_10_CASES,
  TEST_PLAN,
  describeStart,
  describeStep,
  runArb,
  simplifications,
  type RunScenario,
} from '../support/recharge-model';
import { startStack, type TestStack } from '../support/stack';

/**
 * A model-based test of the whole recharge lifecycle over the real stack (API, worker, Temporal,
 * PostgreSQL, the operator simulator): random interleavings of provider answers (success, failed,
 * pending, reversed, timeouts), duplicated and reordered callbacks from the holder and from the
 * other provider, disputes, support resolutions, ops workflow resets, uplines spending their
 * commission before a reversal, retailers at their KYC cap. After each run, once the system is
 * quiet, every paisa is compared with a pure model (test/support/recharge-model.ts): each user's
 * wallet less its dues, holds, recharge clearing, provider settlement, commission expense, TDS
 * payable; each recharge's status and ledger legs (never both captured and released, refunded at
 * most once); and `verify`.
 *
 * Issue 10's defects are played first, as fixed cases. MODEL_SEED replays a test (the seed is
 * printed), with MODEL_PATH one counterexample; MODEL_SCENARIO='<json>' plays one scenario;
 * MODEL_RUNS sets the number of runs (default 12), MODEL_BUDGET_MS bounds them (default 60 s) and
 * MODEL_REDUCE_MS the reduction of a counterexample (default 60 s), MODEL_VERBOSE=1 prints every
 * run as played.
 */

const MAX_PENDING_SECONDS = 4;
const RETAILER_CAP = 1_000_00n;
const seed = Number(process.env.MODEL_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.MODEL_RUNS ?? 12);
const budgetMs = Number(process.env.MODEL_BUDGET_MS ?? 60_000);
const reduceMs = Number(process.env.MODEL_REDUCE_MS ?? 60_000);
const path = process.env.MODEL_PATH;
const replay = process.env.MODEL_SCENARIO;
const verbose = process.env.MODEL_VERBOSE === '1';

let stack: TestStack;
let db: Db;
let temporal: Client;
let driver: RechargeModelDriver;
let callbacks: ProviderCallbacks;

before(async () => {
  stack = await startStack({
    env: {
      RECHARGE_MAX_PENDING_SECONDS: String(MAX_PENDING_SECONDS),
      RECHARGE_POLL_SCHEDULE_SECONDS: '1',
      RECHARGE_PROVIDER_TIMEOUT_MS: '1000',
      RECHARGE_DUPLICATE_WINDOW_SECONDS: '0',
      KYC_CAP_NONE_PAISE: String(RETAILER_CAP),
      KYC_CAPS_BY_ROLE: JSON.stringify({ master_distributor: { none: null }, distributor: { none: null } }),
      API_RATE_LIMIT_PER_MINUTE: '1000000',
    },
    simulators: { operator: { timeoutResponseMs: 2500, callbackRetryDelaysMs: [300] } },
  });
  db = testDb();
  const admin = new ApiClient(stack.api.url, await adminKey(db));
  const { id: adminId } = (await db('users').where({ role: 'admin' }).orderBy('created_at').first('id')) as {
    id: string;
  };
  // Each run's users are funded down from the admin's wallet: one transfer instead of a top-up
  // workflow per run. The platform float credits it once here, as a top-up would.
  const ledger = new Ledger(db);
  await ledger.ensureSystemAccounts();
  await ledger.createTransfer({
    id: uniq('model-float-'),
    debitAccountId: systemAccounts.platformFloat,
    creditAccountId: walletAccountId(adminId),
    amount: 1_00_00_000_00n,
    kind: 'test_float',
  });
  const planId = uniq('plan-model-');
  await db('commission_plans').insert({ id: planId, name: 'recharge model test' });
  await db('commission_rules').insert(
    Object.entries(TEST_PLAN).map(([role, r]) => ({
      plan_id: planId,
      role,
      mode: 'percent',
      value: r.bps,
      tds_bps: Number(r.tdsBps),
    })),
  );
  temporal = await connectClient(stack.config.temporal);
  callbacks = await ProviderCallbacks.load(db, stack.api.url, stack.config.providers.credentials);
  driver = new RechargeModelDriver({
    db,
    admin,
    adminId,
    operatorUrl: stack.sims.urls.operator,
    callbacks,
    temporal,
    planId,
    retailerCap: RETAILER_CAP,
    maxPendingSeconds: MAX_PENDING_SECONDS,
  });
});

after(async () => {
  const report = await new Ledger(db).verify();
  await temporal?.connection.close();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

/**
 * The smallest failing variant within the time allowed: first only the recharges a violation
 * names (recharges share no user), then one simplification at a time, kept while it still fails.
 */
async function reduce(scenario: RunScenario, result: RunResult, deadline: number) {
  let best = { scenario, result, tries: 0 };
  const attempt = async (candidate: RunScenario): Promise<boolean> => {
    best.tries++;
    const r = await driver.run(candidate);
    if (verbose) console.log(`reducing, ${r.ok ? 'passes' : 'still fails'}: ${r.report}`);
    if (r.ok) return false;
    best = { scenario: candidate, result: r, tries: best.tries };
    return true;
  };
  const failing = result.failing.map((n) => scenario.recharges[n - 1]!);
  if (failing.length > 0 && failing.length < scenario.recharges.length) await attempt({ recharges: failing });
  for (let progress = true; progress && Date.now() < deadline;) {
    progress = false;
    for (const candidate of simplifications(best.scenario)) {
      if (Date.now() > deadline) break;
      if (await attempt(candidate)) {
        progress = true;
        break;
      }
    }
  }
  return best;
}

class ModelMismatch extends Error {
  constructor(
    readonly scenario: RunScenario,
    readonly result: RunResult,
  ) {
    super(result.report);
  }
}

function describeRun(r: RunScenario): string {
  return r.recharges
    .map(
      (x, i) =>
        `#${i + 1} ₹${x.rupees}${x.atCap ? ' (retailer at cap)' : ''}: ${describeStart(x.start)}` +
        x.steps.map((s, j) => `\n     ${j + 1}. ${describeStep(s)}`).join(''),
    )
    .join('\n  ');
}

test("issue 10's defects, one recharge each: wrong provider, reversal after a dispute, spent commission, cap, reversal during settlement", async () => {
  const r = await driver.run(ISSUE_10_CASES);
  if (verbose) console.log(r.report);
  assert.ok(r.ok, r.report);
  const unknown = await callbacks.send('alpha', { clientRef: `rch_${'0'.repeat(26)}`, status: 'REVERSED' });
  assert.equal(unknown.status, 404, 'a signed callback for a recharge nobody made');
});

test('recharge lifecycle: every paisa matches the model, whatever the providers, people and ops do', async () => {
  if (replay) {
    const r = await driver.run(JSON.parse(replay) as RunScenario);
    assert.ok(r.ok, r.report);
    return;
  }
  console.log(`recharge model: seed ${seed}, ${numRuns} runs within ${budgetMs} ms (MODEL_SEED=${seed} replays)`);
  const deadline = Date.now() + budgetMs;
  let executed = 0;
  const result = await fc.check(
    fc.asyncProperty(runArb, async (scenario) => {
      // Past the budget the remaining runs pass at once.
      if (Date.now() > deadline) return true;
      executed++;
      const r = await driver.run(scenario);
      if (verbose) console.log(`${r.ok ? 'ok' : 'FAILED'}: ${r.report}`);
      if (!r.ok) throw new ModelMismatch(scenario, r);
      return true;
    }),
    { seed, numRuns, endOnFailure: true, ...(path ? { path } : {}) },
  );
  console.log(`recharge model: ${executed} of ${numRuns} runs played${result.failed ? ', the last one failed' : ''}`);
  if (result.failed) {
    const e = result.errorInstance;
    if (!(e instanceof ModelMismatch)) throw e;
    const found = e.scenario;
    const smallest = await reduce(e.scenario, e.result, Date.now() + reduceMs);
    assert.fail(
      [
        `the recharge model found a counterexample (replay: MODEL_SEED=${seed} MODEL_PATH=${result.counterexamplePath}):`,
        `  ${describeRun(found)}`,
        `reduced in ${smallest.tries} runs to:`,
        `  ${describeRun(smallest.scenario)}`,
        `  (replay: MODEL_SCENARIO='${JSON.stringify(smallest.scenario)}')`,
        '',
        'as played:',
        smallest.result.report,
      ].join('\n'),
    );
  }
});
