import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { newId } from '../ids';
import { walletAccountId } from '../ledger';
import type { Fact, Hit, Movement, RiskAction, RiskRule, RuleKind } from './rules';

type Conn = Db | Knex.Transaction;

interface RuleRow {
  id: string;
  kind: RuleKind;
  enabled: boolean;
  threshold: bigint;
  window_seconds: number | null;
  action: RiskAction;
  role: string | null;
  user_id: string | null;
  params: { minPaise?: number; maxPaise?: number };
  description: string;
  updated_at: Date;
}

const ruleOf = (r: RuleRow): RiskRule => ({
  id: r.id,
  kind: r.kind,
  enabled: r.enabled,
  threshold: r.threshold,
  windowSeconds: r.window_seconds,
  action: r.action,
  role: r.role,
  userId: r.user_id,
  band:
    r.params.minPaise === undefined || r.params.maxPaise === undefined
      ? null
      : { minPaise: BigInt(r.params.minPaise), maxPaise: BigInt(r.params.maxPaise) },
  description: r.description,
  updatedAt: r.updated_at,
});

export interface RiskAlert {
  id: string;
  userId: string;
  rule: string;
  subjectId: string;
  movement: string;
  action: 'review' | 'flag';
  detail: string;
  status: 'open' | 'resolved';
  createdAt: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  note: string | null;
}

interface AlertRow {
  id: string;
  user_id: string;
  rule_id: string;
  subject_id: string;
  movement: string;
  action: 'review' | 'flag';
  detail: string;
  status: 'open' | 'resolved';
  created_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  note: string | null;
}

const alertOf = (r: AlertRow): RiskAlert => ({
  id: r.id,
  userId: r.user_id,
  rule: r.rule_id,
  subjectId: r.subject_id,
  movement: r.movement,
  action: r.action,
  detail: r.detail,
  status: r.status,
  createdAt: r.created_at,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  note: r.note,
});

/** Alerts on one user since its last re-KYC, within this many hours, that ask for re-KYC. */
export const RE_KYC_ALERTS = 3;
export const RE_KYC_HOURS = 24;

/** Any rule changed or added changes it: every change sets updated_at, and rules are never deleted. */
const RULES_VERSION_SQL = `(select coalesce(max(updated_at)::text, '') || '/' || count(*) from risk_rules)`;

export interface RuleSet {
  version: string;
  rules: RiskRule[];
}

/** Recharges of the user today (India's calendar day) and its credits down, in paise. */
const DAILY_SPEND_SQL = `
  (select coalesce(sum(amount), 0) from recharges
    where user_id = ? and id <> ? and status not in ('failed', 'reversed')
      and created_at >= date_trunc('day', now() at time zone 'Asia/Kolkata') at time zone 'Asia/Kolkata')
  + (select coalesce(sum(t.amount), 0) from ledger_entries e join ledger_transfers t on t.id = e.transfer_id
    where e.account_id = ? and e.side = 'debit' and t.kind = 'downline_credit'
      and e.created_at >= date_trunc('day', now() at time zone 'Asia/Kolkata') at time zone 'Asia/Kolkata')`;

/**
 * PostgreSQL is the one truth every API and worker process reads: rules are read at each
 * evaluation (an admin's change applies to the next movement everywhere), and each rule's fact is
 * one scalar subquery over indexed columns, all of them in one statement.
 */
export class RiskStore {
  constructor(private readonly db: Db) {}

  async rules(conn: Conn = this.db): Promise<RiskRule[]> {
    return ((await conn('risk_rules').orderBy('id')) as RuleRow[]).map(ruleOf);
  }

  /** Every rule with the version of the whole set, for a process's cache (RiskEngine). */
  async ruleSet(): Promise<RuleSet> {
    const { rows } = (await this.db.raw(
      `select r.*, ${RULES_VERSION_SQL} as version from risk_rules r order by r.id`,
    )) as { rows: Array<RuleRow & { version: string }> };
    return { version: rows[0]?.version ?? '', rules: rows.map(ruleOf) };
  }

  async rule(id: string, conn: Conn = this.db): Promise<RiskRule | undefined> {
    const row = (await conn('risk_rules').where({ id }).first()) as RuleRow | undefined;
    return row && ruleOf(row);
  }

  async updateRule(
    trx: Knex.Transaction,
    id: string,
    patch: { enabled?: boolean; threshold?: bigint; action?: RiskAction },
  ): Promise<RiskRule> {
    const [row] = (await trx('risk_rules')
      .where({ id })
      .update({
        ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
        ...(patch.threshold === undefined ? {} : { threshold: patch.threshold.toString() }),
        ...(patch.action === undefined ? {} : { action: patch.action }),
        updated_at: trx.fn.now(),
      })
      .returning('*')) as RuleRow[];
    return ruleOf(row!);
  }

  /** A user's own rule of a kind, replacing its role's (src/risk/rules.ts applicableRules). */
  async insertUserRule(trx: Knex.Transaction, rule: Omit<RiskRule, 'updatedAt' | 'role' | 'band'>): Promise<RiskRule> {
    const [row] = (await trx('risk_rules')
      .insert({
        id: rule.id,
        kind: rule.kind,
        enabled: rule.enabled,
        threshold: rule.threshold.toString(),
        window_seconds: rule.windowSeconds,
        action: rule.action,
        user_id: rule.userId,
        description: rule.description,
      })
      .returning('*')) as RuleRow[];
    return ruleOf(row!);
  }

  /**
   * Each rule's fact about the movement (rules without one get `none`), and the version of the
   * rule set read in the same statement: one round trip, which also tells a cached set is stale.
   */
  async facts(m: Movement, rules: readonly RiskRule[]): Promise<{ facts: Map<string, Fact>; version: string }> {
    const columns: string[] = [];
    const bindings: unknown[] = [];
    const shapes: Array<{ id: string; kind: Fact['kind'] }> = [];
    const add = (rule: RiskRule, kind: Fact['kind'], sql: string, values: unknown[]) => {
      columns.push(`${sql} as f${shapes.length}`);
      bindings.push(...values);
      shapes.push({ id: rule.id, kind });
    };
    const since = `now() - make_interval(secs => ?)`;
    for (const r of rules) {
      const w = r.windowSeconds ?? 0;
      switch (r.kind) {
        case 'retailer_velocity':
          add(
            r,
            'count',
            `(select count(*)::int from recharges where user_id = ? and id <> ? and created_at > ${since})`,
            [m.userId, m.subjectId, w],
          );
          break;
        case 'subscriber_velocity':
          add(
            r,
            'count',
            `(select count(*)::int from recharges where subscriber = ? and id <> ? and created_at > ${since})`,
            [m.subscriber ?? '', m.subjectId, w],
          );
          break;
        case 'amount_band':
          add(
            r,
            'count',
            `(select count(*)::int from recharges where user_id = ? and id <> ? and amount between ? and ? and created_at > ${since})`,
            [m.userId, m.subjectId, r.band!.minPaise.toString(), r.band!.maxPaise.toString(), w],
          );
          break;
        case 'failed_recharges':
          add(
            r,
            'count',
            `(select count(*)::int from recharges where subscriber = ? and status = 'failed'
                and failure_code = 'PROVIDER_DECLINED' and created_at > ${since})`,
            [m.subscriber ?? '', w],
          );
          break;
        case 'first_use':
          add(r, 'first', `not exists (select 1 from recharges where user_id = ? and id <> ?)`, [
            m.userId,
            m.subjectId,
          ]);
          break;
        case 'dormant_account':
          add(
            r,
            'idle',
            `(select extract(epoch from now() - max(created_at))::float8 from ledger_entries where account_id = ?)`,
            [walletAccountId(m.userId)],
          );
          break;
        case 'daily_spend':
          add(r, 'sum', `(${DAILY_SPEND_SQL})::bigint`, [m.userId, m.subjectId, walletAccountId(m.userId)]);
          break;
        case 'max_single_amount':
          break;
      }
    }
    const facts = new Map<string, Fact>();
    const { rows } = (await this.db.raw(
      `select ${[...columns, `${RULES_VERSION_SQL} as version`].join(', ')}`,
      bindings as never,
    )) as { rows: Array<Record<string, unknown>> };
    shapes.forEach((s, i) => {
      const v = rows[0]![`f${i}`];
      if (s.kind === 'count') facts.set(s.id, { kind: 'count', n: Number(v) });
      else if (s.kind === 'sum') facts.set(s.id, { kind: 'sum', paise: v as bigint });
      else if (s.kind === 'first') facts.set(s.id, { kind: 'first', first: v === true });
      else facts.set(s.id, { kind: 'idle', idleSeconds: v === null ? null : Number(v) });
    });
    return { facts, version: rows[0]!.version as string };
  }

  /**
   * Records the alerts of a movement (again for a retried screening: nothing doubles) and answers
   * whether they made the user's RE_KYC_ALERTS-th alert within RE_KYC_HOURS since its last
   * re-KYC while it is not already asked for one; if so, that alert is marked as the trigger.
   */
  async recordAlerts(trx: Knex.Transaction, m: Movement, hits: Hit[]): Promise<{ reKyc: boolean }> {
    const inserted = (await trx('risk_alerts')
      .insert(
        hits.map((h) => ({
          id: newId('ral'),
          user_id: m.userId,
          rule_id: h.rule.id,
          subject_id: m.subjectId,
          movement: m.kind,
          action: h.rule.action,
          detail: h.detail,
        })),
      )
      .onConflict(['rule_id', 'subject_id'])
      .ignore()
      .returning('id')) as Array<{ id: string }>;
    if (!inserted.length) return { reKyc: false };
    // One escalation at a time per user: concurrent screenings of its movements queue here.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`risk-alerts:${m.userId}`]);
    const { rows } = (await trx.raw(
      `select count(*)::int as n, coalesce(bool_or(k.re_kyc_required), false) as required
         from risk_alerts a left join kyc_profiles k on k.user_id = a.user_id
        where a.user_id = ? and a.created_at > greatest(now() - make_interval(hours => ?), coalesce(k.re_kyc_marked_at, '-infinity'))`,
      [m.userId, RE_KYC_HOURS],
    )) as { rows: Array<{ n: number; required: boolean }> };
    const { n, required } = rows[0]!;
    if (n < RE_KYC_ALERTS || required) return { reKyc: false };
    await trx('risk_alerts').where({ id: inserted[0]!.id }).update({ triggered_re_kyc: true });
    return { reKyc: true };
  }

  /** The rule a recharge's review alert names (a retried screening answers the review again). */
  async reviewOf(subjectId: string): Promise<{ rule: string; detail: string } | undefined> {
    const row = (await this.db('risk_alerts')
      .where({ subject_id: subjectId, action: 'review' })
      .orderBy('rule_id')
      .first('rule_id', 'detail')) as { rule_id: string; detail: string } | undefined;
    return row && { rule: row.rule_id, detail: row.detail };
  }

  async alerts(q: { status?: 'open' | 'resolved'; userId?: string; limit: number }): Promise<RiskAlert[]> {
    const rows = (await this.db('risk_alerts')
      .modify((b) => {
        if (q.status) b.where({ status: q.status });
        if (q.userId) b.where({ user_id: q.userId });
      })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(q.limit)) as AlertRow[];
    return rows.map(alertOf);
  }

  async alert(id: string, conn: Conn = this.db): Promise<RiskAlert | undefined> {
    const row = (await conn('risk_alerts').where({ id }).first()) as AlertRow | undefined;
    return row && alertOf(row);
  }

  /** Resolves an open alert; undefined when it was not open (already resolved, or unknown). */
  async resolve(trx: Knex.Transaction, id: string, by: string, note: string): Promise<RiskAlert | undefined> {
    const [row] = (await trx('risk_alerts')
      .where({ id, status: 'open' })
      .update({ status: 'resolved', resolved_at: trx.fn.now(), resolved_by: by, note })
      .returning('*')) as AlertRow[];
    return row && alertOf(row);
  }

  /** Alerts by rule, action and status: the last 24 hours', and every open one. */
  async alertCounts(): Promise<Array<{ rule: string; action: string; status: string; n: number }>> {
    const { rows } = (await this.db.raw(
      `select rule_id as rule, action, status, count(*)::int as n from risk_alerts
        where status = 'open' or created_at > now() - interval '24 hours'
        group by rule_id, action, status`,
    )) as { rows: Array<{ rule: string; action: string; status: string; n: number }> };
    return rows;
  }

  /** Open alerts, for the ops stuck view. */
  async openSummary(): Promise<{ open: number; users: number; oldest: Date | null }> {
    const { rows } = (await this.db.raw(
      `select count(*)::int as open, count(distinct user_id)::int as users, min(created_at) as oldest
         from risk_alerts where status = 'open'`,
    )) as { rows: Array<{ open: number; users: number; oldest: Date | null }> };
    return rows[0]!;
  }
}
