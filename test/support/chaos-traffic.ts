/**
 * Traffic for the chaos tests: a small network of users, a bounded stream of recharges, top-ups
 * and downline transfers sent the way a real API client sends them (an Idempotency-Key per
 * request, the same key again after a 5xx, a timeout or a dropped connection), and the checks
 * that afterwards every request had exactly one correct outcome and every wallet holds what a
 * model of the scripted outcomes says, to the paisa.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Db } from '../../src/db/knex';
import { walletAccountId } from '../../src/ledger';
import { rechargeId, rechargeWorkflowId } from '../../src/recharges/types';
import { OPERATOR_TEST_SUBSCRIBERS } from '../../dev/simulators/operator/subscribers';
import type { ApiClient } from './api';
import { addUser, fund, type Member } from './people';

// ---------------------------------------------------------------------------------------------
// A client that retries like a real one

interface Outcome<T = Record<string, unknown>> {
  /** The last answer (undefined if every attempt failed at the transport). */
  status?: number;
  body?: T;
  attempts: number;
  /** Why each retried attempt was retried. */
  retried: string[];
  ms: number;
}

/** One attempt's limit: longer than a worker crash takes to heal (a workflow task times out in 10 s). */
const ATTEMPT_TIMEOUT_MS = 25_000;
/** A request still unanswered after this long is a failure of the test. */
const DEADLINE_MS = 120_000;

function retryable(status: number, body: unknown): boolean {
  if (status >= 500 || status === 429) return true;
  // The key's first request is still in flight (or was cut off): the API asks to retry shortly.
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return status === 409 && e?.code === 'CONFLICT' && /in progress/i.test(e.message ?? '');
}

/** POSTs with an Idempotency-Key, and again with the same key until a definite answer. */
async function postUntilAnswered<T = Record<string, unknown>>(
  api: ApiClient,
  path: string,
  body: unknown,
  key: string,
): Promise<Outcome<T>> {
  const began = Date.now();
  const deadline = began + DEADLINE_MS;
  const retried: string[] = [];
  let last: { status: number; body: T } | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${api.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${api.key}`, 'Idempotency-Key': key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      last = { status: res.status, body: parsed as T };
      if (!retryable(res.status, parsed)) return { ...last, attempts: attempt, retried, ms: Date.now() - began };
      retried.push(`${res.status} ${JSON.stringify(parsed).slice(0, 160)}`);
    } catch (err) {
      retried.push(`transport: ${(err as Error).name}: ${(err as Error).message}`.slice(0, 200));
    }
    if (Date.now() > deadline) return { ...last, attempts: attempt, retried, ms: Date.now() - began };
    await new Promise((r) => setTimeout(r, Math.min(2000, 200 * attempt)));
  }
}

// ---------------------------------------------------------------------------------------------
// The network and the scripted scenarios

type Final = 'success' | 'failed' | 'reversed';

export type ScenarioName =
  | 'success'
  | 'invalidNumber'
  | 'pendingThenSuccess'
  | 'pendingThenFailed'
  | 'firstSubmissionTimesOut'
  | 'primaryProviderDown'
  | 'successThenReversal';

/**
 * How each simulator subscriber ends (../shared/API.md "Simulator test subscribers"): the final
 * statuses that are correct for it, the first the usual one. A success later reversed may also
 * end failed: when a crash hides the success (the retried submission asks the provider, which by
 * then answers reversed), the hold is released instead of captured and refunded, to the same
 * money. The model charges a recharge whose usual status is success, and no other.
 */
export const scenarios: Record<ScenarioName, { subscriber?: string; finals: readonly Final[] }> = {
  success: { finals: ['success'] },
  invalidNumber: { subscriber: OPERATOR_TEST_SUBSCRIBERS.invalidNumber, finals: ['failed'] },
  pendingThenSuccess: { subscriber: OPERATOR_TEST_SUBSCRIBERS.pendingThenSuccess, finals: ['success'] },
  pendingThenFailed: { subscriber: OPERATOR_TEST_SUBSCRIBERS.pendingThenFailed, finals: ['failed'] },
  firstSubmissionTimesOut: { subscriber: OPERATOR_TEST_SUBSCRIBERS.firstSubmissionTimesOut, finals: ['success'] },
  primaryProviderDown: { subscriber: OPERATOR_TEST_SUBSCRIBERS.primaryProviderDown, finals: ['success'] },
  successThenReversal: { subscriber: OPERATOR_TEST_SUBSCRIBERS.successThenReversal, finals: ['reversed', 'failed'] },
};

/** The stream's mix: every final outcome in {success, failed}, by every path the simulator has. */
const streamScenarios: ScenarioName[] = [
  'success',
  'invalidNumber',
  'pendingThenSuccess',
  'success',
  'pendingThenFailed',
  'firstSubmissionTimesOut',
  'primaryProviderDown',
];

const RETAILER_BPS = 300n; // the default plan: retailer 3% on prepaid
const DISTRIBUTOR_BPS = 50n; // distributor 0.5%

export interface Net {
  admin: ApiClient;
  dist: Member;
  retailers: Member[];
  /** Wallet balances once funded, before any request of the stream, by user id, in paise. */
  funded: Map<string, bigint>;
  /** Amounts already used per retailer: the same subscriber and amount twice would be a duplicate. */
  nextAmount: Map<string, number>;
}

/**
 * admin ── dist ─┬─ retailer × n, the distributor funded by a top-up the admin approves and
 * each retailer by a transfer down from it (before any chaos).
 */
export async function buildNet(admin: ApiClient, retailers: number, retailerPaise: number): Promise<Net> {
  const dist = await addUser(admin, 'distributor');
  const rs = await Promise.all(Array.from({ length: retailers }, () => addUser(dist.api, 'retailer')));
  const distPaise = retailers * retailerPaise + 50_000;
  await fund(admin, dist, distPaise);
  for (const r of rs) {
    const t = await dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: r.id, amount: retailerPaise });
    if (t.status !== 201) throw new Error(`funding ${r.id}: ${t.status} ${JSON.stringify(t.body)}`);
  }
  const funded = new Map<string, bigint>([[dist.id, 50_000n]]);
  for (const r of rs) funded.set(r.id, BigInt(retailerPaise));
  return { admin, dist, retailers: rs, funded, nextAmount: new Map() };
}

/**
 * The model: each wallet's balance once every request has had its scripted outcome: a success
 * costs the retailer the amount less its 3% and earns the distributor 0.5%; a failure or a
 * reversal costs nothing; a top-up credits the distributor once; a transfer moves its amount once.
 */
function expectedBalances(net: Net, requests: Request[]): Map<string, bigint> {
  const expected = new Map(net.funded);
  const credit = (userId: string, paise: bigint) => expected.set(userId, (expected.get(userId) ?? 0n) + paise);
  for (const r of requests) {
    if (r.kind === 'recharge' && scenarios[r.scenario].finals[0] === 'success') {
      const amount = BigInt(r.amount);
      credit(r.retailer.id, -amount + (amount * RETAILER_BPS) / 10_000n);
      credit(net.dist.id, (amount * DISTRIBUTOR_BPS) / 10_000n);
    } else if (r.kind === 'topup') {
      credit(net.dist.id, BigInt(r.amount));
    } else if (r.kind === 'transfer') {
      credit(net.dist.id, -BigInt(r.amount));
      credit(r.to.id, BigInt(r.amount));
    }
  }
  return expected;
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface RechargeRequest {
  kind: 'recharge';
  scenario: ScenarioName;
  retailer: Member;
  subscriber: string;
  amount: number;
  key: string;
  rechargeId: string;
  workflowId: string;
}
interface TopupRequest {
  kind: 'topup';
  amount: number;
  key: string;
  approveKey: string;
}
interface TransferRequest {
  kind: 'transfer';
  to: Member;
  amount: number;
  key: string;
}
export type Request = RechargeRequest | TopupRequest | TransferRequest;

export interface Done {
  request: Request;
  replies: Outcome[];
}

function randomSubscriber(): string {
  return `98${String(randomInt(0, 1e8)).padStart(8, '0')}`;
}

/** A recharge of a scripted scenario, with the amount unique for its retailer (₹10 steps). */
export function rechargeRequest(net: Net, retailer: Member, scenario: ScenarioName): RechargeRequest {
  const n = (net.nextAmount.get(retailer.id) ?? 0) + 1;
  net.nextAmount.set(retailer.id, n);
  const key = randomUUID();
  return {
    kind: 'recharge',
    scenario,
    retailer,
    subscriber: scenarios[scenario].subscriber ?? randomSubscriber(),
    amount: n * 1000,
    key,
    rechargeId: rechargeId(retailer.id, key),
    workflowId: rechargeWorkflowId(retailer.id, key),
  };
}

/** The stream: recharges of every scenario across the retailers, with top-ups and transfers interleaved. */
export function streamRequests(net: Net, counts: { recharges: number; topups: number; transfers: number }): Request[] {
  const recharges = Array.from({ length: counts.recharges }, (_, i) =>
    rechargeRequest(net, net.retailers[i % net.retailers.length]!, streamScenarios[i % streamScenarios.length]!),
  );
  const topups: Request[] = Array.from({ length: counts.topups }, (_, i) => ({
    kind: 'topup',
    amount: (i + 1) * 10_000,
    key: randomUUID(),
    approveKey: randomUUID(),
  }));
  const transfers: Request[] = Array.from({ length: counts.transfers }, (_, i) => ({
    kind: 'transfer',
    to: net.retailers[i % net.retailers.length]!,
    amount: 5_000 + i * 100,
    key: randomUUID(),
  }));
  // Interleave: each kind spread evenly over the whole stream.
  const all = [...recharges, ...topups, ...transfers];
  const rank = (r: Request) => {
    const list = r.kind === 'recharge' ? recharges : r.kind === 'topup' ? topups : transfers;
    return (list.indexOf(r) + 0.5) / list.length;
  };
  return all.sort((a, b) => rank(a) - rank(b));
}

async function send(net: Net, r: Request): Promise<Outcome[]> {
  switch (r.kind) {
    case 'recharge':
      return [
        await postUntilAnswered(
          r.retailer.api,
          '/v1/recharges',
          { operator: 'JIO', subscriber: r.subscriber, amount: r.amount },
          r.key,
        ),
      ];
    case 'topup': {
      const created = await postUntilAnswered<{ id: string }>(
        net.dist.api,
        '/v1/topups',
        { method: 'bank_transfer', amount: r.amount, utr: `UTR${r.key.replace(/-/g, '').slice(0, 20)}` },
        r.key,
      );
      if (created.status !== 202) return [created];
      const approved = await postUntilAnswered(net.admin, `/v1/topups/${created.body!.id}/approve`, {}, r.approveKey);
      return [created, approved];
    }
    case 'transfer':
      return [
        await postUntilAnswered(
          net.dist.api,
          '/v1/transfers',
          { fromUserId: net.dist.id, toUserId: r.to.id, amount: r.amount },
          r.key,
        ),
      ];
  }
}

/** Sends the requests spread evenly over `spreadMs`, each retried until answered. */
export async function sendStream(net: Net, requests: Request[], spreadMs: number): Promise<Done[]> {
  return Promise.all(
    requests.map(async (request, i) => {
      await new Promise((r) => setTimeout(r, (i * spreadMs) / requests.length));
      return { request, replies: await send(net, request) };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Outcomes

/** Waits until every recharge has a final status its scenario allows (or the deadline passes). */
export async function awaitFinal(db: Db, recharges: RechargeRequest[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const want = new Map(recharges.map((r) => [r.rechargeId, scenarios[r.scenario].finals as readonly string[]]));
  for (;;) {
    const rows = (await db('recharges')
      .whereIn('id', [...want.keys()])
      .select('id', 'status')) as Array<{ id: string; status: string }>;
    if (rows.filter((row) => want.get(row.id)!.includes(row.status)).length === want.size) return;
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface RechargeView {
  id: string;
  status: string;
  provider: string | null;
  timeline: Array<{ status: string; note: string | null }>;
}

/**
 * Every request has exactly one correct outcome, the model's balances hold to the paisa, and
 * nothing is left held. Returns the problems found (empty when all is well).
 */
export async function checkOutcomes(
  db: Db,
  net: Net,
  done: Done[],
  simulatorUrl: string,
): Promise<{ problems: string[]; summary: Record<string, number> }> {
  const problems: string[] = [];
  const summary: Record<string, number> = { requests: done.length, retriedRequests: 0, attempts: 0, slowestMs: 0 };
  for (const d of done) {
    summary.attempts! += d.replies.reduce((n, o) => n + o.attempts, 0);
    if (d.replies.some((o) => o.retried.length)) summary.retriedRequests!++;
    summary.slowestMs = Math.max(
      summary.slowestMs!,
      d.replies.reduce((n, o) => n + o.ms, 0),
    );
    for (const why of d.replies.flatMap((o) => o.retried)) {
      const reason = `retried after ${why.replace(/"message":"[^"]*"/, '').slice(0, 60)}`;
      summary[reason] = (summary[reason] ?? 0) + 1;
    }
  }
  const fail = (d: Done, what: string) =>
    problems.push(
      `${d.request.kind} ${d.request.key}: ${what}; replies: ${JSON.stringify(
        d.replies.map((o) => ({ status: o.status, body: o.body, attempts: o.attempts, retried: o.retried })),
      ).slice(0, 1200)}`,
    );

  for (const d of done) {
    const r = d.request;
    if (r.kind === 'recharge') {
      const reply = d.replies[0]!;
      const body = reply.body as { id?: string } | undefined;
      if ((reply.status !== 202 && reply.status !== 200) || body?.id !== r.rechargeId) {
        fail(d, `answered ${reply.status}, expected 200/202 for ${r.rechargeId}`);
        continue;
      }
      const want = scenarios[r.scenario].finals as readonly string[];
      const got = await net.admin.get<RechargeView>(`/v1/recharges/${r.rechargeId}`);
      if (!want.includes(got.body.status)) {
        fail(
          d,
          `${r.scenario} (${r.subscriber}) ended ${got.body.status}, scripted ${want.join(' or ')}: ${JSON.stringify(got.body.timeline)}`,
        );
        continue;
      }
      const sim = await fetch(`${simulatorUrl}/control/transactions/${r.rechargeId}`);
      const s = (await sim.json()) as { submissions?: number; provider?: string };
      if (s.submissions !== 1) fail(d, `the provider got it ${s.submissions ?? 0} times: ${JSON.stringify(s)}`);
      if (s.provider !== got.body.provider) fail(d, `held by ${got.body.provider}, the simulator has ${s.provider}`);
      summary[`recharge ${got.body.status}`] = (summary[`recharge ${got.body.status}`] ?? 0) + 1;
    } else if (r.kind === 'topup') {
      const [created, approved] = d.replies;
      const id = (created!.body as { id?: string } | undefined)?.id;
      if (created!.status !== 202 || !id) {
        fail(d, 'the top-up request was not accepted');
        continue;
      }
      if (approved?.status !== 200 || (approved.body as { status?: string }).status !== 'completed') {
        fail(d, 'the approval was not answered 200 completed');
      }
      const got = await net.admin.get<{ status: string }>(`/v1/topups/${id}`);
      if (got.body.status !== 'completed') fail(d, `top-up ${id} is ${got.body.status}`);
      const credits = await db('ledger_transfers')
        .where({ reference: `topup:${id}` })
        .count<{ count: string }[]>();
      if (Number(credits[0]!.count) !== 1) fail(d, `top-up ${id} has ${credits[0]!.count} ledger transfers`);
      summary.topups = (summary.topups ?? 0) + 1;
    } else {
      const reply = d.replies[0]!;
      if (reply.status !== 201 || (reply.body as { status?: string }).status !== 'completed') {
        fail(d, 'the transfer was not answered 201 completed');
        continue;
      }
      summary.transfers = (summary.transfers ?? 0) + 1;
    }
  }

  // Exactly once, seen from the ledger: one downline credit per transfer request (plus funding),
  // one recharge row per recharge request.
  const transfersIn = (await db('ledger_transfers')
    .where({ kind: 'downline_credit', debit_account_id: walletAccountId(net.dist.id) })
    .groupBy('credit_account_id')
    .select('credit_account_id')
    .count('* as n')) as Array<{ credit_account_id: string; n: string }>;
  for (const r of net.retailers) {
    const want = 1 + done.filter((d) => d.request.kind === 'transfer' && d.request.to.id === r.id).length;
    const got = Number(transfersIn.find((t) => t.credit_account_id === walletAccountId(r.id))?.n ?? 0);
    if (got !== want) problems.push(`retailer ${r.id}: ${got} downline credits in the ledger, ${want} requested`);
    const rows = await db('recharges').where({ user_id: r.id }).count<{ count: string }[]>();
    const asked = done.filter((d) => d.request.kind === 'recharge' && d.request.retailer.id === r.id).length;
    if (Number(rows[0]!.count) !== asked)
      problems.push(`retailer ${r.id}: ${rows[0]!.count} recharges, ${asked} requested`);
  }

  for (const [userId, balance] of expectedBalances(
    net,
    done.map((d) => d.request),
  )) {
    // Every wallet here can always cover a claw-back, so no dues are ever left outstanding.
    const w = await net.admin.get<{ balance: number; held: number; dues?: number }>(`/v1/wallets/${userId}`);
    if (BigInt(w.body.balance) !== balance || w.body.held !== 0 || (w.body.dues ?? 0) !== 0) {
      problems.push(`wallet ${userId}: ${JSON.stringify(w.body)}, the model says balance ${balance}, held 0, no dues`);
    }
  }
  const open = (await db('ledger_accounts')
    .where('debits_pending', '<>', 0)
    .orWhere('credits_pending', '<>', 0)
    .select('id', 'debits_pending', 'credits_pending')) as unknown[];
  if (open.length)
    problems.push(`open holds: ${JSON.stringify(open, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  return { problems, summary };
}
