/**
 * Loaded with `--import` into a chaos test's worker process only (never production code): gives
 * every Worker.create an activity interceptor that
 * - appends each activity (and local activity) it starts to a trace file, so a test learns which
 *   activities a recharge runs from a real run instead of a hard-coded list;
 * - SIGKILLs its own process exactly at a planned boundary: just before the named activity of
 *   the named workflow runs, or just after it finished and before its result reaches Temporal.
 *   Each boundary fires once: a marker file, created exclusively before the kill, records it.
 *
 * The plan file (CHAOS_PLAN_FILE) is read at every activity, so a test can arm boundaries while
 * the workers run. Its shape is KillPlan below.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '@temporalio/activity';
import { Worker, type ActivityInboundCallsInterceptor } from '@temporalio/worker';

export type BoundaryPhase = 'before' | 'after';

export interface KillTarget {
  /** Names the boundary and its marker file. */
  id: string;
  activity: string;
  phase: BoundaryPhase;
  /** Activities of workflows with one of these ids. */
  workflowIds: string[];
}

export interface KillPlan {
  markerDir: string;
  traceFile?: string;
  targets: KillTarget[];
}

export interface TraceEntry {
  at: number;
  pid: number;
  workflowType: string;
  workflowId: string;
  activityType: string;
  isLocal: boolean;
  attempt: number;
}

export interface Marker extends TraceEntry {
  id: string;
  phase: BoundaryPhase;
}

function readPlan(file: string): KillPlan | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as KillPlan;
  } catch {
    return undefined; // not written yet, or being replaced: nothing to do this time
  }
}

function entryOf(ctx: Context): TraceEntry {
  const info = ctx.info;
  return {
    at: Date.now(),
    pid: process.pid,
    workflowType: info.workflowType ?? '',
    workflowId: info.workflowExecution?.workflowId ?? '',
    activityType: info.activityType,
    isLocal: info.isLocal,
    attempt: info.attempt,
  };
}

function killIfPlanned(planFile: string, entry: TraceEntry, phase: BoundaryPhase): void {
  const plan = readPlan(planFile);
  const target = plan?.targets.find(
    (t) => t.phase === phase && t.activity === entry.activityType && t.workflowIds.includes(entry.workflowId),
  );
  if (!plan || !target) return;
  const marker: Marker = { ...entry, at: Date.now(), id: target.id, phase };
  try {
    fs.writeFileSync(path.join(plan.markerDir, `${target.id}.json`), JSON.stringify(marker), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return; // fired before: let it run
    throw err;
  }
  process.kill(process.pid, 'SIGKILL');
}

function install(planFile: string): void {
  const interceptor = (ctx: Context): { inbound: ActivityInboundCallsInterceptor } => ({
    inbound: {
      async execute(input, next) {
        const entry = entryOf(ctx);
        const plan = readPlan(planFile);
        if (plan?.traceFile) fs.appendFileSync(plan.traceFile, `${JSON.stringify(entry)}\n`);
        killIfPlanned(planFile, entry, 'before');
        try {
          return await next(input);
        } finally {
          killIfPlanned(planFile, entry, 'after');
        }
      },
    },
  });
  const create = Worker.create.bind(Worker);
  Worker.create = (options) =>
    create({
      ...options,
      interceptors: { ...options.interceptors, activity: [...(options.interceptors?.activity ?? []), interceptor] },
    });
}

const planFile = process.env.CHAOS_PLAN_FILE;
if (planFile) install(planFile);
