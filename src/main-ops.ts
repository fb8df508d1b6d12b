/**
 * `npm run ops -- <command>`: the support and operations console (docs/RUNBOOK.md). Talks to
 * PostgreSQL and Temporal directly (DATABASE_URL, TEMPORAL_ADDRESS) through the same services as
 * /v1/ops/*. Commands that read customers' transactions or change anything act as a support or
 * admin user (`--as <userId>`), recorded in the audit trail. Output is JSON (the stuck list prints
 * a table unless --json). Exit code 0 on success, 1 when the command finds or meets a problem
 * (ledger violations, a failed reconciliation, a refused action), 2 on configuration errors.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { loadConfig, type Config } from './config';
import { createDb, type Db } from './db/knex';
import { AppError } from './errors';
import { jsonReplacer, toJson } from './http/json';
import { Ledger } from './ledger';
import { createLogger } from './logger';
import { ensureReconciliationSchedule, RECONCILIATION_SCHEDULE_ID } from './ops/reconciliation';
import { OpsService, type OpsActor } from './ops/service';
import type { StuckReport } from './ops/stuck';
import { ExchangeStore } from './providers/recharge/exchanges';
import { RechargeService } from './recharges/service';
import { RechargeStore } from './recharges/store';
import { connectClient } from './temporal/connection';
import { riskEngine } from './risk/service';
import { TopupService } from './topups/service';
import { TopupStore } from './topups/store';
import { UserService } from './users/service';
import type { Client } from '@temporalio/client';
import { capFor } from './kyc/caps';
import { SanctionsService } from './compliance/watchlist';

interface Parts {
  config: Config;
  db: Db;
  ledger: Ledger;
  temporal: Client;
  ops: OpsService;
}

class Usage extends Error {}

/** Builds the services once per invocation and closes every connection afterwards. */
async function withParts<T>(fn: (p: Parts) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (!config.database.url || !config.temporal.address) {
    throw new Usage('DATABASE_URL and TEMPORAL_ADDRESS must be set (the servers `npm start` or production use)');
  }
  // Logs go to stderr: stdout is the command's answer.
  const log = createLogger(config.logLevel, 'tijori-ops', pino.destination({ dest: 2, sync: true }));
  const db = createDb(config.database.url, 4);
  const ledger = new Ledger(db);
  let temporal: Client | undefined;
  try {
    temporal = await connectClient(config.temporal);
    const users = new UserService(db, ledger, (role) => capFor(role, 'none', config.kyc.caps));
    const recharges = new RechargeService(config, temporal, new RechargeStore(db), users, log);
    const risk = riskEngine(db, temporal, config.temporal.taskQueue);
    const topups = new TopupService(config, temporal, new TopupStore(db), users, risk);
    const ops = new OpsService({
      config,
      db,
      ledger,
      temporal,
      recharges,
      topups,
      exchanges: new ExchangeStore(db),
      log,
    });
    return await fn({ config, db, ledger, temporal, ops });
  } finally {
    await ledger.close();
    await temporal?.connection.close();
    await db.destroy();
  }
}

async function actor(p: Parts, userId: string): Promise<OpsActor> {
  return { caller: await p.ops.operator(userId), via: 'cli' };
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

let exitCode = 0;
/** An action that ends with an exit code. */
const act =
  <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
  async (...args: A): Promise<void> => {
    exitCode = await fn(...args);
  };

function stuckTable(r: StuckReport): string {
  const rows = r.items.map((i) => [
    i.kind,
    i.id,
    i.status,
    `${i.ageSeconds}s`,
    String(i.heldAmount),
    i.reasons.map((x) => x.code).join(','),
    i.workflowId,
  ]);
  const head = ['kind', 'id', 'status', 'age', 'held', 'reasons', 'workflow'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((x, c) => x.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...rows.map(line)];
  out.push(
    `${r.items.length} item(s) need a person${r.undescribed ? `; ${r.undescribed} open workflows not described` : ''}`,
  );
  if (r.reconciliation) {
    out.push(`latest reconciliation ${r.reconciliation.id} FAILED: ${r.reconciliation.mismatches.length} problem(s)`);
  }
  return out.join('\n');
}

const asOption = () => new Option('--as <userId>', 'the support or admin user acting (audited)').makeOptionMandatory();
const noteOption = (name = '--note <text>') =>
  new Option(name, 'why (recorded in the audit trail)').makeOptionMandatory().argParser((v: string) => {
    if (!v.trim()) throw new InvalidArgumentError('must not be empty');
    return v.trim();
  });

/** Runs `fn` with the services and prints its answer. */
const printed = (fn: (p: Parts) => Promise<unknown>) =>
  withParts(async (p) => {
    print(await fn(p));
    return 0;
  });

/** Runs `fn` with the services and prints the report it gives; exit 1 when the report is not ok. */
const checked = (fn: (p: Parts) => Promise<{ ok: boolean }>) =>
  withParts(async (p) => {
    const report = await fn(p);
    print(report);
    return report.ok ? 0 : 1;
  });

function program(): Command {
  const cli = new Command('ops')
    .description('Tijori support and operations: stuck money, resolutions, workflow retries, proof of the books')
    .showHelpAfterError();
  caseCommands(cli);
  resolutionCommands(cli);
  retryCommands(cli);
  booksCommands(cli);
  scheduleCommands(cli);
  watchlistCommands(cli);
  return cli;
}

/** What needs a person, and everything known about one case. */
function caseCommands(cli: Command): void {
  cli
    .command('stuck')
    .description('recharges and top-ups that need a person, oldest first')
    .addOption(asOption())
    .option('--json', 'print JSON instead of a table')
    .action(
      act((o: { as: string; json?: boolean }) =>
        withParts(async (p) => {
          const report = await p.ops.stuck((await actor(p, o.as)).caller);
          if (o.json) print(report);
          else process.stdout.write(`${stuckTable(report)}\n`);
          return 0;
        }),
      ),
    );

  cli
    .command('show <id>')
    .description(
      'one recharge (rch_...) or top-up (tpu_...): timeline, ledger transfers, raw provider exchanges, workflow',
    )
    .addOption(asOption())
    .action(
      act((id: string, o: { as: string }) =>
        printed(async (p) =>
          p.ops.show((await actor(p, o.as)).caller, id.startsWith('tpu_') ? 'topup' : 'recharge', id),
        ),
      ),
    );
}

/** Settling a recharge or a top-up by hand. */
function resolutionCommands(cli: Command): void {
  cli
    .command('resolve <rechargeId>')
    .description('settle a pending or manual-review recharge by hand; the money follows the outcome')
    .addOption(
      new Option('--outcome <outcome>', 'what the operator says happened')
        .choices(['success', 'failed'])
        .makeOptionMandatory(),
    )
    .option('--operator-ref <ref>', "the operator's reference, for a success")
    .addOption(noteOption())
    .addOption(asOption())
    .action(
      act((id: string, o: { outcome: 'success' | 'failed'; operatorRef?: string; note: string; as: string }) =>
        printed(async (p) =>
          p.ops.resolveRecharge(await actor(p, o.as), id, {
            outcome: o.outcome,
            operatorRef: o.operatorRef,
            note: o.note,
          }),
        ),
      ),
    );

  cli
    .command('topup <action> <topupId>')
    .description('approve (from the platform float), reject or expire a stuck top-up request')
    .addOption(noteOption())
    .addOption(asOption())
    .action(
      act((action: string, id: string, o: { note: string; as: string }) => {
        if (action !== 'approve' && action !== 'reject' && action !== 'expire') {
          throw new Usage(`topup takes approve, reject or expire, not ${action}`);
        }
        return printed(async (p) => p.ops.settleTopup(await actor(p, o.as), id, action, o.note));
      }),
    );
}

/** Running failed or stuck workflows again, one or all a query matches. */
function retryCommands(cli: Command): void {
  cli
    .command('retry <workflowId>')
    .description(
      'reset a failed or stuck workflow to its last completed workflow task, so it runs again on the deployed code',
    )
    .addOption(noteOption('--reason <text>'))
    .addOption(asOption())
    .action(
      act((workflowId: string, o: { reason: string; as: string }) =>
        printed(async (p) => p.ops.retry(await actor(p, o.as), workflowId, o.reason)),
      ),
    );

  cli
    .command('retry-batch')
    .description('retry every failed or stuck workflow matching a visibility query (one reset each, each audited)')
    .requiredOption('--query <query>', "e.g. \"WorkflowType = 'rechargeWorkflow' AND ExecutionStatus = 'Failed'\"")
    .addOption(noteOption('--reason <text>'))
    .addOption(asOption())
    .option(
      '--limit <n>',
      'at most this many workflows',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('a whole number from 1 to 1000');
        return n;
      },
      100,
    )
    .option('--dry-run', 'list what would be reset, change nothing')
    .action(
      act((o: { query: string; reason: string; as: string; limit: number; dryRun?: boolean }) =>
        printed(async (p) =>
          p.ops.retryMatching(await actor(p, o.as), o.query, o.reason, { limit: o.limit, dryRun: !!o.dryRun }),
        ),
      ),
    );
}

/** The proof of the books: the ledger's invariants and the reconciliation runs. */
function booksCommands(cli: Command): void {
  cli
    .command('verify-ledger')
    .description("check the ledger's invariants now; exit 1 on any violation")
    .action(act(() => checked((p) => p.ledger.verify())));

  const reconciliation = cli
    .command('reconciliation')
    .description('the proof of the books: ledger, holds, provider settlements');
  reconciliation
    .command('run')
    .description('run a reconciliation now and wait for its result; exit 1 when it finds problems')
    .addOption(asOption())
    .action(act((o: { as: string }) => checked(async (p) => p.ops.reconcileNow(await actor(p, o.as)))));
  reconciliation
    .command('latest')
    .description('the latest run; exit 1 when it found problems')
    .addOption(asOption())
    .action(
      act((o: { as: string }) => checked(async (p) => p.ops.latestReconciliation((await actor(p, o.as)).caller))),
    );
}

/** The reconciliation's Temporal schedule. */
function scheduleCommands(cli: Command): void {
  const schedule = cli.command('schedule').description(`the ${RECONCILIATION_SCHEDULE_ID} Temporal schedule`);
  schedule
    .command('ensure')
    .description(
      'create the schedule, or update it to the configuration (RECONCILIATION_INTERVAL, task queue, alert address)',
    )
    .action(act(() => printed((p) => ensureReconciliationSchedule(p.temporal, p.config))));
  schedule
    .command('describe')
    .description("the schedule's spec, state and recent runs")
    .action(
      act(() =>
        printed(async (p) => {
          const d = await p.temporal.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).describe();
          return {
            scheduleId: d.scheduleId,
            spec: d.spec,
            paused: d.state.paused,
            taskQueue: d.action.type === 'startWorkflow' ? d.action.taskQueue : null,
            recentActions: d.info.recentActions,
            nextActionTimes: d.info.nextActionTimes,
          };
        }),
      ),
    );
}

/** The sanctions watchlist (README.md "Sanctions watchlist"). */
function watchlistCommands(cli: Command): void {
  cli
    .command('watchlist')
    .description('the sanctions watchlist')
    .command('reload')
    .description('replace the watchlist with WATCHLIST_FILE and screen every user; new hits freeze (admin, audited)')
    .addOption(asOption())
    .action(
      act((o: { as: string }) =>
        printed(async (p) => {
          const { caller } = await actor(p, o.as);
          if (caller.role !== 'admin') throw new AppError('FORBIDDEN', 'Only an admin reloads the watchlist');
          const sanctions = new SanctionsService(p.db, {
            watchlistFile: p.config.compliance.watchlistFile,
            threshold: p.config.compliance.sanctionsThreshold,
          });
          return sanctions.reload({ caller });
        }),
      ),
    );
}

async function main(): Promise<number> {
  await program().parseAsync(process.argv);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof AppError) {
      console.error(`${err.code}: ${err.message}${err.details ? ` ${toJson(err.details)}` : ''}`);
      process.exit(1);
    }
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(err instanceof Usage || (err as { name?: string }).name === 'ConfigError' ? 2 : 1);
  },
);
