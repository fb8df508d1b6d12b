import { randomInt, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import type { ApiClient } from './api';
import { addUser, type Member } from './people';
import type { ProviderCallbacks, ProviderStatus } from './provider-callbacks';
import {
  SUBSCRIBERS,
  describeStart,
  describeStep,
  formatRupees,
  initialState,
  legsOf,
  otherProvider,
  plan,
  settleBefore,
  statusesOf,
  type Action,
  type Level,
  type ModelState,
  type Phase,
  type RechargeScenario,
  type RunScenario,
  type Step,
} from './recharge-model';

/**
 * The side of the recharge model test that touches the real stack: it makes a chain of users for
 * each recharge of a run, plays the recharges' scenarios at once against the API and the operator
 * simulator, waits for the system to be quiet, and compares the ledger with what the model says
 * (recharge-model.ts).
 */

export interface DriverEnv {
  db: Db;
  admin: ApiClient;
  adminId: string;
  operatorUrl: string;
  callbacks: ProviderCallbacks;
  temporal: Client;
  /** The commission plan (TEST_PLAN) every user of a run gets. */
  planId: string;
  /** The retailers' KYC balance cap, paise. */
  retailerCap: bigint;
  /** RECHARGE_MAX_PENDING_SECONDS. */
  maxPendingSeconds: number;
}

export interface RunResult {
  ok: boolean;
  /** The recharges (1-based) a violation names. */
  failing: number[];
  /** The scenario as played, the model against the ledger, and what is wrong. */
  report: string;
  ms: number;
}

const SHORT_GAP_MS = 60;
const RUN_TIME_LIMIT_MS = 40_000;
/** Silent provider changes are made only this soon after the recharge went pending (polls every 1 s). */
const POLLS_CERTAIN_MS = 1500;
const CLEARING = 'system:recharge_clearing';
const EXPENSE = 'system:commission_expense';
const TDS = 'system:tds_payable';
const settlement = (p: string) => `system:provider_settlement:${p}`;
const wallet = (u: string) => `wallet:${u}`;
const dues = (u: string) => `dues:${u}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const show = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

interface Totals {
  dp: bigint;
  cp: bigint;
  dpe: bigint;
  cpe: bigint;
}
const ZERO: Totals = { dp: 0n, cp: 0n, dpe: 0n, cpe: 0n };

interface Live {
  n: number;
  sc: RechargeScenario;
  /** Its own master distributor, distributor and retailer: recharges of a run share no upline. */
  md: Member;
  d: Member;
  retailer: Member;
  amount: bigint;
  id?: string;
  workflowId?: string;
  state: ModelState;
  trace: string[];
  txn?: { txnId: string | null; operatorRef: string | null };
  /** Past this, waits give up at once: a run that never settles is reported, not waited for. */
  deadline: number;
}

interface Movement {
  from: string;
  to: string;
  amount: bigint;
}

export class RechargeModelDriver {
  constructor(private readonly env: DriverEnv) {}

  async run(scenario: RunScenario): Promise<RunResult> {
    const t0 = Date.now();
    const problems: string[] = [];
    const movements: Movement[] = [];
    const chains = await Promise.all(scenario.recharges.map((sc) => this.makeChain(sc)));
    const lives: Live[] = scenario.recharges.map((sc, i) => ({
      n: i + 1,
      sc,
      ...chains[i]!,
      amount: BigInt(sc.rupees) * 100n,
      state: initialState(sc.start),
      trace: [],
      deadline: t0 + RUN_TIME_LIMIT_MS,
    }));
    const users = [this.env.adminId, ...lives.flatMap((l) => [l.md.id, l.d.id, l.retailer.id])];
    const ids = [
      ...users.flatMap((u) => [wallet(u), dues(u)]),
      CLEARING,
      EXPENSE,
      TDS,
      settlement('alpha'),
      settlement('beta'),
    ];
    const before = await this.totals(ids);
    const t1 = Date.now();
    await Promise.all(
      lives.map((l) =>
        this.play(l, movements, problems).catch((err: unknown) => {
          problems.push(`#${l.n}: the test itself failed: ${err instanceof Error ? err.stack : String(err)}`);
        }),
      ),
    );
    const t2 = Date.now();
    await Promise.all(lives.map((l) => (l.id ? this.settle(l) : undefined)));
    const after = await this.stableTotals(ids);
    const t3 = Date.now();

    const table = await this.compare(lives, movements, before, after, problems);
    const t4 = Date.now();
    const verify = await new Ledger(this.env.db).verify();
    if (!verify.ok) problems.push(`ledger verify: ${show(verify.violations.slice(0, 5))}`);

    const lines = [
      `run of ${lives.length} recharge(s), ${Date.now() - t0} ms (users ${t1 - t0}, play ${t2 - t1}, quiet ${t3 - t2}, compare ${t4 - t3}, verify ${Date.now() - t4}):`,
    ];
    for (const l of lives) lines.push(...l.trace);
    lines.push(...table);
    if (problems.length) lines.push('violations:', ...problems.map((p) => `  - ${p}`));
    const failing = [...new Set(problems.flatMap((p) => [...p.matchAll(/#(\d+)/g)].map((m) => Number(m[1]))))];
    return {
      ok: problems.length === 0,
      failing: failing.sort((a, b) => a - b),
      report: lines.join('\n'),
      ms: Date.now() - t0,
    };
  }

  // ---------------------------------------------------------------- users and money

  /**
   * admin ─ master distributor ─ distributor ─ retailer, on the test's commission plan, funded down
   * from the admin's wallet.
   */
  private async makeChain(sc: RechargeScenario): Promise<Pick<Live, 'md' | 'd' | 'retailer'>> {
    const { admin, db, planId, retailerCap } = this.env;
    const md = await addUser(admin, 'master_distributor');
    const [d] = await Promise.all([
      addUser(admin, 'distributor', md.id),
      this.transfer(this.env.adminId, md.id, 4_000_00n),
    ]);
    const [retailer] = await Promise.all([addUser(admin, 'retailer', d.id), this.transfer(md.id, d.id, 2_000_00n)]);
    await db('user_commission_plans').insert([md, d, retailer].map((u) => ({ user_id: u.id, plan_id: planId })));
    const funds = sc.atCap ? retailerCap : BigInt(sc.rupees + sc.extraRupees) * 100n;
    await this.transfer(d.id, retailer.id, funds < retailerCap ? funds : retailerCap);
    return { md, d, retailer };
  }

  /** A downline credit or an upline pull, made by the admin; answers what moved (0 when refused). */
  private async transfer(from: string, to: string, amount: bigint, problems?: string[]): Promise<bigint> {
    if (amount <= 0n) return 0n;
    const r = await this.env.admin.post('/v1/transfers', { fromUserId: from, toUserId: to, amount: Number(amount) });
    if (r.status === 201) return BigInt(r.body.amount as number);
    const msg = `transfer ${amount} ${from} -> ${to}: HTTP ${r.status} ${show(r.body)}`;
    if (!problems) throw new Error(msg);
    if (r.status >= 500) problems.push(msg);
    return 0n;
  }

  private async totals(ids: string[]): Promise<Map<string, Totals>> {
    const rows = (await this.env
      .db('ledger_accounts')
      .whereIn('id', ids)
      .select('id', 'debits_posted', 'credits_posted', 'debits_pending', 'credits_pending')) as Array<{
      id: string;
      debits_posted: bigint;
      credits_posted: bigint;
      debits_pending: bigint;
      credits_pending: bigint;
    }>;
    return new Map(
      rows.map((r) => [
        r.id,
        {
          dp: BigInt(r.debits_posted),
          cp: BigInt(r.credits_posted),
          dpe: BigInt(r.debits_pending),
          cpe: BigInt(r.credits_pending),
        },
      ]),
    );
  }

  /** Totals once two reads 250 ms apart agree (or after a few tries). */
  private async stableTotals(ids: string[]): Promise<Map<string, Totals>> {
    let last = await this.totals(ids);
    for (let i = 0; i < 8; i++) {
      await sleep(250);
      const now = await this.totals(ids);
      if (show([...now]) === show([...last])) return now;
      last = now;
    }
    return last;
  }

  private async available(userId: string): Promise<bigint> {
    const t = (await this.totals([wallet(userId)])).get(wallet(userId)) ?? ZERO;
    return t.cp - t.dp - t.dpe;
  }

  // ---------------------------------------------------------------- playing a scenario

  private async play(l: Live, movements: Movement[], problems: string[]): Promise<void> {
    const sc = l.sc;
    const subscriber =
      sc.start.kind === 'success'
        ? sc.start.holder === 'beta'
          ? SUBSCRIBERS.primaryDown
          : `98${String(randomInt(0, 1e8)).padStart(8, '0')}`
        : SUBSCRIBERS[sc.start.kind];
    const funded = sc.atCap ? 'at its KYC cap' : `with ${formatRupees(BigInt(sc.rupees + sc.extraRupees) * 100n)}`;
    const r = await l.retailer.api.call(
      'POST',
      '/v1/recharges?waitMs=0',
      { operator: 'JIO', subscriber, amount: Number(l.amount) },
      { 'Idempotency-Key': randomUUID() },
    );
    if (r.status !== 202 && r.status !== 200) {
      l.trace.push(`  #${l.n} ${formatRupees(l.amount)} by a retailer ${funded}: refused`);
      problems.push(`#${l.n}: recharge refused: HTTP ${r.status} ${show(r.body)}`);
      return;
    }
    l.id = r.body.id as string;
    l.workflowId = r.body.workflowId as string;
    l.trace.push(`  #${l.n} ${l.id} ${formatRupees(l.amount)} by a retailer ${funded}; ${describeStart(sc.start)}`);
    const log = (s: string) => l.trace.push(`       ${s}`);

    if (sc.start.kind === 'timeout') {
      await this.waitForTxn(l.id, 'alpha');
      if (sc.start.truth !== 'SUCCESS') await this.setTruth(l, sc.start.truth);
    }
    await this.settle(l);

    for (const [i, step] of sc.steps.entries()) {
      if (settleBefore(step)) await this.settle(l);
      const moment = { pollsCertain: await this.pollsCertain(l, step) };
      const p = plan(l.state, step, moment);
      l.trace.push(`    ${i + 1}. ${describeStep(step)}${p.note ? ` (${p.note})` : ''}`);
      for (const action of p.actions) await this.act(l, action, movements, problems, log);
      l.state = p.next;
      if (p.settleAfter || step.gap === 'settle') await this.settle(l);
      else if (step.gap === 'short') await sleep(SHORT_GAP_MS);
    }
  }

  private async pollsCertain(l: Live, step: Step): Promise<boolean> {
    const silent = (step.t === 'answer' && step.via !== 'callback') || (step.t === 'reverse' && step.via === 'silent');
    if (!silent || l.state.phase !== 'open') return false;
    const row = (await this.env
      .db('recharges as r')
      .leftJoin('recharge_events as e', function () {
        this.on('e.recharge_id', 'r.id').andOnVal('e.status', 'pending');
      })
      .where('r.id', l.id!)
      .groupBy('r.status')
      .first('r.status', this.env.db.raw('min(e.at) as since'))) as { status: string; since: Date | null };
    return row.status === 'pending' && row.since !== null && Date.now() - row.since.getTime() < POLLS_CERTAIN_MS;
  }

  private async act(
    l: Live,
    action: Action,
    movements: Movement[],
    problems: string[],
    log: (s: string) => void,
  ): Promise<void> {
    const id = l.id!;
    const holder = l.state.holder;
    switch (action.a) {
      case 'truth':
        await this.setTruth(l, action.status);
        log(`${holder}'s status check now says ${action.status}`);
        return;
      case 'sleep':
        await sleep(action.ms);
        return;
      case 'callback': {
        const from = action.from === 'holder' ? holder : otherProvider(holder);
        const txn =
          action.from === 'holder' ? await this.txnOf(l) : { txnId: `X${randomInt(1e8, 1e9)}`, operatorRef: null };
        const replies = await Promise.all(
          Array.from({ length: action.copies }, () =>
            this.env.callbacks.send(from, {
              clientRef: id,
              status: action.status,
              providerTxnId: txn.txnId,
              operatorRef: action.status === 'SUCCESS' || action.status === 'REVERSED' ? txn.operatorRef : null,
              message: 'model test',
            }),
          ),
        );
        const seen = [...new Set(replies.map((x) => `${x.status} ${show(x.body)}`))].join(' | ');
        log(`${from} callback ${action.status}${action.copies > 1 ? ` ×${action.copies}` : ''} → ${seen}`);
        for (const x of replies) {
          if (x.status !== 200)
            problems.push(`#${l.n}: ${from} callback ${action.status} answered ${x.status} ${show(x.body)}`);
        }
        return;
      }
      case 'dispute': {
        const was = await this.statusOf(id);
        const r = await l.retailer.api.post(`/v1/recharges/${id}/dispute`, { reason: 'model test dispute' }, false);
        const now = await this.statusOf(id);
        log(`dispute (status ${was}) → ${r.status}${r.status >= 400 ? ` ${show(r.body)}` : ''}`);
        const expected = was !== now ? undefined : ['failed', 'reversed'].includes(was) ? 409 : 202;
        if (r.status >= 500 || (expected !== undefined && r.status !== expected)) {
          problems.push(
            `#${l.n}: dispute of a ${was} recharge answered ${r.status} (expected ${expected ?? '202 or 409'})`,
          );
        }
        return;
      }
      case 'resolve': {
        const was = await this.statusOf(id);
        const r = await this.env.admin.post(
          `/v1/ops/recharges/${id}/resolve`,
          { outcome: action.outcome, note: 'model test: the provider confirmed it' },
          false,
        );
        const now = await this.statusOf(id);
        log(`resolve ${action.outcome} (status ${was}) → ${r.status}${r.status >= 400 ? ` ${show(r.body)}` : ''}`);
        const open = ['pending', 'manual_review'].includes(was);
        const expected = open && now !== was ? 200 : open ? undefined : 409;
        if (r.status >= 500 || (expected !== undefined && r.status !== expected)) {
          problems.push(`#${l.n}: resolve of a ${was} recharge answered ${r.status} (expected ${expected})`);
        }
        return;
      }
      case 'awaitReview': {
        const deadline = Date.now() + (this.env.maxPendingSeconds + 8) * 1000;
        let status = await this.statusOf(id);
        while (['received', 'processing', 'pending'].includes(status) && Date.now() < deadline) {
          await sleep(100);
          status = await this.statusOf(id);
        }
        log(`waited: ${status}`);
        if (status !== 'manual_review') problems.push(`#${l.n}: expected manual review, found ${status}`);
        return;
      }
      case 'spend': {
        const [from, to] = action.who === 'distributor' ? [l.d.id, l.md.id] : [l.md.id, this.env.adminId];
        const amount = await this.available(from);
        const moved = await this.transfer(from, to, amount, problems);
        if (moved > 0n) movements.push({ from, to, amount: moved });
        log(`${action.who} pulled up: ${moved} paise`);
        return;
      }
      case 'fillToCap': {
        const r = l.retailer.id;
        const t = (await this.totals([wallet(r)])).get(wallet(r)) ?? ZERO;
        const room = this.env.retailerCap - (t.cp + t.cpe - t.dp);
        if (room <= 0n) {
          log('retailer already at its cap');
          return;
        }
        const short = room - (await this.available(l.d.id));
        if (short > 0n) {
          const mdHas = await this.available(l.md.id);
          const topped = await this.transfer(l.md.id, l.d.id, short < mdHas ? short : mdHas, problems);
          if (topped > 0n) movements.push({ from: l.md.id, to: l.d.id, amount: topped });
        }
        const dHas = await this.available(l.d.id);
        const moved = await this.transfer(l.d.id, r, room < dHas ? room : dHas, problems);
        if (moved > 0n) movements.push({ from: l.d.id, to: r, amount: moved });
        log(`distributor credited the retailer ${moved} paise (room ${room})`);
        return;
      }
      case 'retry': {
        const workflowId = action.which === 'recharge' ? l.workflowId! : `reversal-${id}`;
        const r = await this.env.admin.post(
          `/v1/ops/workflows/${encodeURIComponent(workflowId)}/retry`,
          { reason: 'model test' },
          false,
        );
        log(
          `retry ${workflowId} → ${r.status}${r.status === 200 ? '' : ` ${show((r.body as { error?: unknown }).error ?? r.body)}`}`,
        );
        if (![200, 404, 409].includes(r.status)) problems.push(`#${l.n}: retry of ${workflowId} answered ${r.status}`);
        return;
      }
    }
  }

  private async setTruth(l: Live, status: ProviderStatus): Promise<void> {
    const res = await fetch(`${this.env.operatorUrl}/control/transactions/${l.id!}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: l.state.holder, status }),
    });
    if (res.status !== 200) throw new Error(`simulator: setting ${l.id!} ${status}: HTTP ${res.status}`);
    l.txn = undefined;
  }

  private async txnOf(l: Live): Promise<{ txnId: string | null; operatorRef: string | null }> {
    if (l.txn) return l.txn;
    const res = await fetch(`${this.env.operatorUrl}/providers/${l.state.holder}/transactions/${l.id!}`);
    const txn = res.status === 200 ? ((await res.json()) as { txnId: string; operatorRef: string | null }) : undefined;
    l.txn = { txnId: txn?.txnId ?? null, operatorRef: txn?.operatorRef ?? null };
    return l.txn;
  }

  private async waitForTxn(id: string, provider: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if ((await fetch(`${this.env.operatorUrl}/providers/${provider}/transactions/${id}`)).status === 200) return;
      await sleep(30);
    }
    throw new Error(`the simulator never received ${id}`);
  }

  // ---------------------------------------------------------------- waiting for quiet

  private async statusOf(id: string): Promise<string> {
    const row = (await this.env.db('recharges').where({ id }).first('status')) as { status: string } | undefined;
    return row?.status ?? 'missing';
  }

  /** Nothing is running for this recharge that could still change it. */
  private async quiet(l: Live, status: string): Promise<boolean> {
    if (['received', 'processing'].includes(status)) return false;
    // While pending with nothing to act on, its status polls can only find PENDING again.
    if (status === 'pending' && l.state.phase !== 'open') return false;
    if (status !== 'pending' && !(await this.workflowQuiet(l.workflowId!))) return false;
    return this.workflowQuiet(`reversal-${l.id!}`);
  }

  private async workflowQuiet(workflowId: string): Promise<boolean> {
    try {
      const d = await this.env.temporal.workflow.getHandle(workflowId).describe();
      if (d.status.name !== 'RUNNING') return true;
      return !d.raw.pendingWorkflowTask && (d.raw.pendingActivities ?? []).length === 0;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
  }

  /**
   * Waits until the recharge shows a status its model phase allows and nothing runs for it, or it
   * is quiet anyway (twice in a row), or 15 s pass.
   */
  private async settle(l: Live): Promise<void> {
    const want = statusesOf(l.state.phase);
    const deadline = Math.min(Date.now() + 15_000, l.deadline);
    let quietBefore = false;
    while (Date.now() < deadline) {
      const status = await this.statusOf(l.id!);
      const quiet = await this.quiet(l, status);
      if (quiet && (want.includes(status) || quietBefore)) return;
      quietBefore = quiet;
      await sleep(quiet ? 150 : 60);
    }
  }

  // ---------------------------------------------------------------- the comparison

  private async compare(
    lives: Live[],
    movements: Movement[],
    before: Map<string, Totals>,
    after: Map<string, Totals>,
    problems: string[],
  ): Promise<string[]> {
    const delta = (id: string) => {
      const a = after.get(id) ?? ZERO;
      const b = before.get(id) ?? ZERO;
      return { dp: a.dp - b.dp, cp: a.cp - b.cp, dpe: a.dpe - b.dpe, cpe: a.cpe - b.cpe };
    };
    const names = new Map<string, string>([
      [this.env.adminId, 'admin'],
      ...lives.flatMap((l): Array<[string, string]> => [
        [l.md.id, `#${l.n} master distributor`],
        [l.d.id, `#${l.n} distributor`],
        [l.retailer.id, `#${l.n} retailer`],
      ]),
    ]);
    const position = new Map<string, bigint>([...names.keys()].map((u) => [u, 0n]));
    const held = new Map<string, bigint>([...names.keys()].map((u) => [u, 0n]));
    /** What each user may owe at most: the commissions of the recharges refunded in the run. */
    const clawable = new Map<string, bigint>();
    const add = (m: Map<string, bigint>, k: string, v: bigint) => m.set(k, (m.get(k) ?? 0n) + v);
    for (const m of movements) {
      add(position, m.from, -m.amount);
      add(position, m.to, m.amount);
    }
    const sys = { clearingPosted: 0n, clearingHeld: 0n, alpha: 0n, beta: 0n, expense: 0n, tds: 0n };

    const lines: string[] = ['  recharges:'];
    for (const l of lives) {
      if (!l.id) continue;
      const phase = l.state.phase;
      if (phase === 'refunded' || phase === 'undone') {
        for (const leg of legsOf(l.amount)) {
          add(clawable, earner(l, leg.level), leg.net);
        }
      }
      if (phase === 'open') {
        add(held, l.retailer.id, l.amount);
        sys.clearingHeld += l.amount;
      } else if (phase === 'captured') {
        add(position, l.retailer.id, -l.amount);
        sys[l.state.holder] += l.amount;
        for (const leg of legsOf(l.amount)) {
          add(position, earner(l, leg.level), leg.net);
          sys.expense += leg.gross;
          sys.tds += leg.tds;
        }
      }
      const status = await this.statusOf(l.id);
      const legs = await this.ledgerLegs(l);
      const ledger = `capture ${legs.capture}, release ${legs.release}, refund ${legs.refund}`;
      const want = statusesOf(phase);
      const fine = want.includes(status) && legsFit(phase, status, legs);
      lines.push(
        `    #${l.n}: model ${phase} (${want.join(' or ')}); actual ${status}, ledger ${ledger}${fine ? '' : '   ✗'}`,
      );
      if (!want.includes(status)) problems.push(`#${l.n}: status ${status}, the model says ${want.join(' or ')}`);
      if (legs.capture && legs.release) problems.push(`#${l.n}: both captured and released`);
      if (legs.refund > 1) problems.push(`#${l.n}: refunded ${legs.refund} times`);
      if (legs.refund && !legs.capture) problems.push(`#${l.n}: refunded without a capture`);
      if (!legsFit(phase, status, legs)) problems.push(`#${l.n}: ledger (${ledger}) does not fit ${phase}/${status}`);
    }

    lines.push('  money, change over the run (paise; rows where both are 0 left out)');
    lines.push(`    ${''.padEnd(38)} ${'model'.padStart(10)} ${'actual'.padStart(12)}`);
    const moneyOff: string[] = [];
    const row = (label: string, model: bigint, actual: bigint, always = true) => {
      const bad = model !== actual;
      if (!always && !bad && model === 0n) return;
      lines.push(
        `    ${label.padEnd(38)} ${String(model).padStart(10)} ${String(actual).padStart(12)}${bad ? '   ✗' : ''}`,
      );
      if (bad) moneyOff.push(label);
    };
    for (const [u, name] of names) {
      const w = delta(wallet(u));
      const due = delta(dues(u));
      row(`${name}: wallet − dues`, position.get(u)!, w.cp - w.dp - (due.dp - due.cp), false);
      row(`${name}: held`, held.get(u)!, w.dpe, false);
      const owed = due.dp - due.cp;
      if (owed < 0n || owed > (clawable.get(u) ?? 0n)) {
        problems.push(
          `${name}: dues outstanding ${owed}, outside 0..${clawable.get(u) ?? 0n} (its clawed-back commissions)`,
        );
      }
      if (owed !== 0n) {
        const a = after.get(wallet(u)) ?? ZERO;
        lines.push(`    ${`${name}: dues outstanding`.padEnd(38)} ${''.padStart(10)} ${String(owed).padStart(12)}`);
        lines.push(
          `    ${`${name}: wallet available`.padEnd(38)} ${''.padStart(10)} ${String(a.cp - a.dp - a.dpe).padStart(12)}`,
        );
      }
    }
    const c = delta(CLEARING);
    row('recharge clearing: posted', sys.clearingPosted, c.cp - c.dp);
    row('recharge clearing: held', sys.clearingHeld, c.cpe - c.dpe);
    for (const p of ['alpha', 'beta'] as const) {
      const s = delta(settlement(p));
      row(`provider settlement ${p}`, sys[p], s.cp - s.dp);
    }
    const e = delta(EXPENSE);
    row('commission expense', sys.expense, e.dp - e.cp);
    const t = delta(TDS);
    row('TDS payable', sys.tds, t.cp - t.dp);
    if (moneyOff.length) problems.push(`money differs from the model (✗ above): ${moneyOff.join('; ')}`);
    return lines;
  }

  /** The recharge's hold resolutions and refunds, read from the ledger whatever the transfer ids are called. */
  private async ledgerLegs(l: Live): Promise<{ capture: number; release: number; refund: number }> {
    const id = l.id!;
    const rows = (await this.env
      .db('ledger_transfers')
      .where('reference', `recharge:${id}`)
      .orWhere('id', 'like', `${id}:%`)
      .select('id', 'type', 'debit_account_id', 'credit_account_id', 'pending_id')) as Array<{
      id: string;
      type: string;
      debit_account_id: string;
      credit_account_id: string;
      pending_id: string | null;
    }>;
    const hold = rows.find((r) => r.type === 'pending' && r.debit_account_id === wallet(l.retailer.id))?.id;
    return {
      capture: rows.filter((r) => r.type === 'post' && r.pending_id === hold).length,
      release: rows.filter((r) => r.type === 'void' && r.pending_id === hold).length,
      refund: rows.filter(
        (r) => r.type === 'posted' && r.debit_account_id === CLEARING && r.credit_account_id === wallet(l.retailer.id),
      ).length,
    };
  }
}

function earner(l: Live, level: Level): string {
  return level === 'retailer' ? l.retailer.id : level === 'distributor' ? l.d.id : l.md.id;
}

function legsFit(phase: Phase, status: string, legs: { capture: number; release: number; refund: number }): boolean {
  const captured = legs.capture === 1 && legs.release === 0 && legs.refund === 0;
  const released = legs.capture === 0 && legs.release === 1 && legs.refund === 0;
  const refunded = legs.capture === 1 && legs.release === 0 && legs.refund === 1;
  switch (phase) {
    case 'open':
      return legs.capture === 0 && legs.release === 0 && legs.refund === 0;
    case 'captured':
      return captured;
    case 'released':
      return released;
    case 'refunded':
      return refunded;
    case 'undone':
      return status === 'reversed' ? refunded : released;
  }
}
