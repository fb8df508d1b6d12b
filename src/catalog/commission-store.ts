import type { Knex } from 'knex';
import { walletAccountId } from '../ledger';
import type { Beneficiary, CommissionRule } from '../recharges/commission';
import { financialYearOf, type PayeeTaxState, type TdsSettings } from './tds';

/**
 * What a commission depends on, as it stood at a moment: each user's plan in force (its own
 * assignment, else its earlier user plan, else its role's assignment, else the default plan), the
 * plan's rule set in force, and for TDS each payee's commission earlier in the financial year.
 */

interface RuleRow {
  plan_id: string;
  role: CommissionRule['role'];
  operator: string | null;
  kind: CommissionRule['kind'];
  mode: CommissionRule['mode'];
  value: bigint;
  tds_bps: number;
}

/** The recharging user and its uplines (nearest first), each with the rules of its plan in force at `at`. */
export async function commissionChainAt(db: Knex, userId: string, at: Date): Promise<Beneficiary[]> {
  const user = (await db('users').where({ id: userId }).first('path')) as { path: string } | undefined;
  if (!user) return [];
  const ids = user.path.split('/');
  const { rows } = (await db.raw(
    `select u.id, u.role,
            coalesce(
              (select a.plan_id from commission_plan_assignments a
                where a.user_id = u.id and a.effective_from <= ? order by a.effective_from desc limit 1),
              ucp.plan_id,
              (select a.plan_id from commission_plan_assignments a
                where a.role = u.role and a.effective_from <= ? order by a.effective_from desc limit 1),
              (select p.id from commission_plans p where p.is_default)
            ) as plan_id
       from users u left join user_commission_plans ucp on ucp.user_id = u.id
      where u.id = any(?)`,
    [at, at, ids],
  )) as { rows: Array<{ id: string; role: string; plan_id: string | null }> };
  const planIds = [...new Set(rows.flatMap((r) => (r.plan_id ? [r.plan_id] : [])))];
  const rules = await rulesInForce(db, planIds, at);
  return ids
    .reverse()
    .flatMap((id) => rows.filter((r) => r.id === id))
    .map((r) => ({ userId: r.id, role: r.role, rules: rules.get(r.plan_id ?? '') ?? [] }));
}

/** Each plan's rule set in force at `at` (the latest effective_from not after it). */
export async function rulesInForce(db: Knex, planIds: string[], at: Date): Promise<Map<string, CommissionRule[]>> {
  if (!planIds.length) return new Map();
  const { rows } = (await db.raw(
    `select r.plan_id, r.role, r.operator, r.kind, r.mode, r.value, r.tds_bps
       from commission_rules r
      where r.plan_id = any(?)
        and r.effective_from = (select max(x.effective_from) from commission_rules x
                                 where x.plan_id = r.plan_id and x.effective_from <= ?)`,
    [planIds, at],
  )) as { rows: RuleRow[] };
  const out = new Map<string, CommissionRule[]>();
  for (const r of rows) {
    out.set(r.plan_id, [
      ...(out.get(r.plan_id) ?? []),
      { role: r.role, operator: r.operator, kind: r.kind, mode: r.mode, value: BigInt(r.value), tdsBps: r.tds_bps },
    ]);
  }
  return out;
}

export async function tdsSettings(db: Knex): Promise<TdsSettings> {
  const r = (await db('tds_settings').first()) as {
    rate_bps: number;
    no_pan_rate_bps: number;
    threshold_paise: bigint | string;
  };
  return { rateBps: r.rate_bps, noPanRateBps: r.no_pan_rate_bps, thresholdPaise: BigInt(r.threshold_paise) };
}

/**
 * Each payee's gross commission credited in the financial year holding `at`, before `at`, leaving
 * out commissions since clawed back and those of `exceptReference` (the recharge being settled),
 * and whether its PAN is verified. Once the year's running total reaches the threshold the scan
 * stops there: beyond it every paisa is taxed alike, so a busy payee's year is not summed again
 * at each commission.
 */
export async function payeeTaxStates(
  db: Knex,
  userIds: string[],
  at: Date,
  exceptReference: string,
  thresholdPaise: bigint,
): Promise<Map<string, PayeeTaxState>> {
  const fy = financialYearOf(at);
  const out = new Map<string, PayeeTaxState>();
  for (const userId of userIds) {
    const commissions = `
      from ledger_entries e
      join ledger_transfers t on t.id = e.transfer_id
     where e.account_id = :account and e.created_at >= :from and e.created_at < :at
       and t.kind = 'commission' and t.reference is distinct from :except
       and not exists (select 1 from ledger_transfers c where c.id = t.id || ':clawback')`;
    const { rows } = (await db.raw(
      `select coalesce(
                (select run from (select sum((t.metadata->>'gross')::bigint) over (order by e.created_at, e.seq) as run
                                  ${commissions}) running
                  where run >= :threshold limit 1),
                (select coalesce(sum((t.metadata->>'gross')::bigint), 0) ${commissions})
              ) as gross,
              exists(select 1 from kyc_profiles k where k.user_id = :user and k.pan_verified_at is not null) as pan`,
      {
        account: walletAccountId(userId),
        from: fy.start,
        at,
        except: exceptReference,
        threshold: thresholdPaise.toString(),
        user: userId,
      },
    )) as { rows: Array<{ gross: string; pan: boolean }> };
    out.set(userId, { fyGrossBefore: BigInt(rows[0]!.gross), panVerified: rows[0]!.pan });
  }
  return out;
}
