/**
 * CPU time by component, read from /proc (Linux): named processes, and PostgreSQL's backends
 * split by the database they serve (Tijori's ledger and projections vs Temporal's persistence
 * and visibility) plus its background processes. Two samples' difference over a phase, divided
 * by the recharges it completed, is the CPU one recharge costs each part.
 */
import fs from 'node:fs';
import pg from 'pg';

const TICK_MS = 10; // CLK_TCK = 100 on Linux

/** utime + stime of a process (all its threads), in ms; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

export interface CpuPart {
  name: string;
  pids: () => number[];
}

export type CpuSample = Map<string, Map<number, number>>;

/** PostgreSQL's processes by role: backends by database, the rest as `postgres: background`. */
async function postgresPids(url: string, names: Record<string, string>): Promise<Map<string, number[]>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query('select pid, datname from pg_stat_activity where pid <> pg_backend_pid()');
    const rows = r.rows as Array<{ pid: number; datname: string | null }>;
    const dir = (await c.query(`select setting from pg_settings where name = 'data_directory'`)).rows[0] as {
      setting: string;
    };
    const postmaster = Number(fs.readFileSync(`${dir.setting}/postmaster.pid`, 'utf8').split('\n')[0]);
    const out = new Map<string, number[]>();
    const add = (k: string, pid: number) => out.set(k, [...(out.get(k) ?? []), pid]);
    for (const row of rows)
      add(row.datname ? (names[row.datname] ?? 'postgres: other') : 'postgres: background', row.pid);
    if (postmaster) add('postgres: background', postmaster);
    return out;
  } finally {
    await c.end();
  }
}

/**
 * Samples every part's processes. `postgres` names the server (any database's URL) and how to
 * label each database; PostgreSQL must run on this machine for its processes to be read.
 */
export async function sampleCpu(
  parts: CpuPart[],
  postgres?: { url: string; names: Record<string, string> },
): Promise<CpuSample> {
  const sample: CpuSample = new Map();
  for (const p of parts) sample.set(p.name, new Map(p.pids().map((pid) => [pid, cpuMs(pid)])));
  if (postgres) {
    for (const [name, pids] of await postgresPids(postgres.url, postgres.names)) {
      sample.set(name, new Map(pids.map((pid) => [pid, cpuMs(pid)])));
    }
  }
  return sample;
}

/** CPU ms per component between two samples (a process absent from `from` started at 0). */
export function cpuBetween(from: CpuSample, to: CpuSample): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, pids] of to) {
    let ms = 0;
    for (const [pid, now] of pids) ms += Math.max(0, now - (from.get(name)?.get(pid) ?? 0));
    out.set(name, ms);
  }
  return out;
}

/** Processes whose NUL-separated command line contains every one of `parts`. */
export function pidsByCmdline(parts: string[]): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = `${fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1')}\0`;
      if (parts.every((p) => cmd.includes(p))) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface PgActivity {
  /** Per database: committed transactions, rows inserted + updated + deleted. */
  byDatabase: Map<string, { commits: number; rows: number }>;
  walBytes: number;
}

/** PostgreSQL's cumulative counters (pg_stat_database, WAL position). */
export async function samplePg(url: string): Promise<PgActivity> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const stats = await c.query(
      `select datname, xact_commit::float8 as commits, (tup_inserted + tup_updated + tup_deleted)::float8 as rows
         from pg_stat_database where datname is not null`,
    );
    const wal = await c.query(`select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 as bytes`);
    return {
      byDatabase: new Map(
        (stats.rows as Array<{ datname: string; commits: number; rows: number }>).map((r) => [
          r.datname,
          { commits: r.commits, rows: r.rows },
        ]),
      ),
      walBytes: (wal.rows[0] as { bytes: number }).bytes,
    };
  } finally {
    await c.end();
  }
}
