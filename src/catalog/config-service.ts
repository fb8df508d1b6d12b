import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAuditBy } from '../audit/log';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import { parseDefinition, ProviderConfigError, type ProviderEnvironment } from '../providers/recharge/definition';
import { HttpRechargeProvider } from '../providers/recharge/http-provider';
import type { ProviderResult } from '../providers/recharge/types';
import type { CommissionRole } from '../recharges/commission';
import type { OperatorKind } from '../recharges/operators';
import { tdsSettings } from './commission-store';
import { requireAdmin, type Actor } from './service';
import type { TdsSettings } from './tds';

export interface RuleInput {
  role: CommissionRole;
  operator: string | null;
  kind: OperatorKind | null;
  percentBps: number | null;
  flatPaise: bigint | null;
  tdsBps: number;
}

export interface CommissionPlanView {
  id: string;
  name: string;
  isDefault: boolean;
  /** The rule set in force now (empty before the first takes effect) and since when. */
  effectiveFrom: Date | null;
  rules: RuleInput[];
  /** Every rule set, oldest first: history stays as it was, later sets are scheduled. */
  ruleSets: Array<{ effectiveFrom: Date | null; rules: RuleInput[] }>;
  assignments: Array<{ id: string; userId: string | null; role: string | null; effectiveFrom: Date }>;
}

export interface ProviderView {
  name: string;
  enabled: boolean;
  definition: unknown;
  routes: Array<{ operator: string; priority: number; enabled: boolean }>;
  updatedAt: Date;
}

/** How far in the past an effectiveFrom may be and still mean "now" (clock skew, a slow client). */
const NOW_GRACE_MS = 5 * 60_000;

interface RuleRow {
  role: CommissionRole;
  operator: string | null;
  kind: OperatorKind | null;
  mode: 'percent' | 'flat';
  value: bigint | string;
  tds_bps: number;
  effective_from: Date | number;
}

function ruleView(r: RuleRow): RuleInput {
  return {
    role: r.role,
    operator: r.operator,
    kind: r.kind,
    percentBps: r.mode === 'percent' ? Number(r.value) : null,
    flatPaise: r.mode === 'flat' ? BigInt(r.value) : null,
    tdsBps: r.tds_bps,
  };
}

/** -infinity (the seeded rules, in force since always) comes back from pg as -Infinity. */
const dateOrNull = (d: Date | number): Date | null => (d instanceof Date && !Number.isNaN(d.getTime()) ? d : null);

/**
 * Configuration admins change over the API: commission plans (rule sets and assignments from a
 * date on, never rewriting the past), TDS settings, recharge providers and their routes. Every
 * change is validated, audited in its own transaction, and read from the database by the
 * processes that use it, so it takes effect without a restart.
 */
export class ConfigService {
  constructor(
    private readonly db: Knex,
    private readonly providerEnv: ProviderEnvironment,
  ) {}

  // Commission plans

  async commissionPlans(caller: Actor['caller']): Promise<CommissionPlanView[]> {
    requireAdmin(caller, 'reads commission plans');
    const plans = (await this.db('commission_plans').orderBy('created_at')) as Array<{
      id: string;
      name: string;
      is_default: boolean;
    }>;
    return Promise.all(plans.map((p) => this.planView(this.db, p)));
  }

  async createCommissionPlan(
    actor: Actor,
    input: { name: string; rules: RuleInput[]; effectiveFrom?: Date },
  ): Promise<CommissionPlanView> {
    requireAdmin(actor.caller, 'creates commission plans');
    const from = effectiveFrom(input.effectiveFrom);
    return this.db.transaction(async (trx) => {
      await this.checkRules(trx, input.rules);
      const id = newId('cpl');
      await trx('commission_plans').insert({ id, name: input.name });
      await this.insertRules(trx, id, from, input.rules);
      await recordAuditBy(trx, actor, 'config.commission_plan_created', id, {
        name: input.name,
        effectiveFrom: from,
        rules: input.rules,
      });
      return this.planView(trx, { id, name: input.name, is_default: false });
    });
  }

  /**
   * A new name at once, and new rules from effectiveFrom on: the rule sets before stay as they
   * were. A set scheduled for the same moment, not yet in force, is replaced.
   */
  async updateCommissionPlan(
    actor: Actor,
    id: string,
    input: { name?: string; rules?: RuleInput[]; effectiveFrom?: Date },
  ): Promise<CommissionPlanView> {
    requireAdmin(actor.caller, 'edits commission plans');
    const from = effectiveFrom(input.effectiveFrom);
    return this.db.transaction(async (trx) => {
      const plan = (await trx('commission_plans').where({ id }).forUpdate().first()) as
        { id: string; name: string; is_default: boolean } | undefined;
      if (!plan) throw notFound('Commission plan');
      if (input.name !== undefined) {
        await trx('commission_plans').where({ id }).update({ name: input.name, updated_at: trx.fn.now() });
      }
      if (input.rules) {
        await this.checkRules(trx, input.rules);
        const later = (await trx('commission_rules')
          .where({ plan_id: id })
          .where('effective_from', '>', from)
          .first('effective_from')) as unknown;
        if (later) {
          throw new AppError(
            'CONFLICT',
            'A later rule set is already scheduled: change that one, or schedule after it',
          );
        }
        await trx('commission_rules').where({ plan_id: id, effective_from: from }).delete();
        await this.insertRules(trx, id, from, input.rules);
      }
      await recordAuditBy(trx, actor, 'config.commission_plan_updated', id, {
        name: input.name,
        effectiveFrom: input.rules ? from : undefined,
        rules: input.rules,
      });
      return this.planView(trx, { ...plan, name: input.name ?? plan.name });
    });
  }

  /** The plan a user, or every user of a role without its own plan, earns by from effectiveFrom on. */
  async assignCommissionPlan(
    actor: Actor,
    id: string,
    target: { userId?: string; role?: CommissionRole; effectiveFrom?: Date },
  ): Promise<CommissionPlanView> {
    requireAdmin(actor.caller, 'assigns commission plans');
    const from = effectiveFrom(target.effectiveFrom);
    return this.db.transaction(async (trx) => {
      const plan = (await trx('commission_plans').where({ id }).first()) as
        { id: string; name: string; is_default: boolean } | undefined;
      if (!plan) throw notFound('Commission plan');
      if (target.userId) {
        const user = (await trx('users').where({ id: target.userId }).first('role')) as { role: string } | undefined;
        if (!user) throw notFound('User');
        if (!['retailer', 'distributor', 'master_distributor'].includes(user.role)) {
          throw new AppError('VALIDATION_FAILED', `A ${user.role} earns no commission`, {
            fields: [{ path: 'body.userId', message: 'not a retailer, distributor or master distributor' }],
          });
        }
      }
      const first = (await trx('commission_rules').where({ plan_id: id }).min('effective_from as at').first()) as
        { at: Date | number | null } | undefined;
      const firstAt = first?.at ?? null;
      if (firstAt === null || (firstAt instanceof Date && firstAt > from)) {
        throw new AppError('CONFLICT', 'The plan has no rules in force from that date: its earners would earn nothing');
      }
      const assignment = { id: newId('cpa'), plan_id: id, user_id: target.userId ?? null, role: target.role ?? null };
      const inserted = (await trx('commission_plan_assignments')
        .insert({ ...assignment, effective_from: from, created_by: actor.caller.id })
        .onConflict(['user_id', 'role', 'effective_from'])
        .ignore()
        .returning('id')) as unknown[];
      if (!inserted.length) throw new AppError('CONFLICT', 'Another plan is assigned to them from that very moment');
      await recordAuditBy(trx, actor, 'config.commission_plan_assigned', target.userId ?? id, {
        planId: id,
        userId: target.userId,
        role: target.role,
        effectiveFrom: from,
      });
      return this.planView(trx, plan);
    });
  }

  private async checkRules(trx: Knex.Transaction, rules: RuleInput[]): Promise<void> {
    const fields: Array<{ path: string; message: string }> = [];
    const seen = new Set<string>();
    const operators = new Set(((await trx('operators').select('code')) as Array<{ code: string }>).map((o) => o.code));
    rules.forEach((r, i) => {
      const key = `${r.role}/${r.operator ?? ''}/${r.kind ?? ''}`;
      if (seen.has(key))
        fields.push({ path: `body.rules.${i}`, message: 'a second rule for the same role, operator and kind' });
      seen.add(key);
      if (r.operator !== null && !operators.has(r.operator)) {
        fields.push({ path: `body.rules.${i}.operator`, message: `no operator ${r.operator}` });
      }
    });
    if (fields.length) throw new AppError('VALIDATION_FAILED', 'Invalid commission rules', { fields });
  }

  private async insertRules(trx: Knex.Transaction, planId: string, from: Date, rules: RuleInput[]): Promise<void> {
    if (!rules.length) return;
    await trx('commission_rules').insert(
      rules.map((r) => ({
        plan_id: planId,
        effective_from: from,
        role: r.role,
        operator: r.operator,
        kind: r.kind,
        mode: r.percentBps !== null ? 'percent' : 'flat',
        value: r.percentBps !== null ? BigInt(r.percentBps) : r.flatPaise,
        tds_bps: r.tdsBps,
      })),
    );
  }

  private async planView(
    db: Knex | Knex.Transaction,
    p: { id: string; name: string; is_default: boolean },
  ): Promise<CommissionPlanView> {
    const rows = (await db('commission_rules')
      .where({ plan_id: p.id })
      .orderBy(['effective_from', 'role', 'operator', 'kind'])) as RuleRow[];
    const sets = new Map<string, { effectiveFrom: Date | null; rules: RuleInput[] }>();
    for (const r of rows) {
      const at = dateOrNull(r.effective_from);
      const key = at?.toISOString() ?? '-infinity';
      const set = sets.get(key) ?? { effectiveFrom: at, rules: [] };
      set.rules.push(ruleView(r));
      sets.set(key, set);
    }
    const now = new Date();
    const inForce = [...sets.values()].filter((s) => s.effectiveFrom === null || s.effectiveFrom <= now).pop();
    const assignments = (await db('commission_plan_assignments')
      .where({ plan_id: p.id })
      .orderBy(['effective_from', 'id'])
      .select('id', 'user_id', 'role', 'effective_from')) as Array<{
      id: string;
      user_id: string | null;
      role: string | null;
      effective_from: Date;
    }>;
    return {
      id: p.id,
      name: p.name,
      isDefault: p.is_default,
      effectiveFrom: inForce?.effectiveFrom ?? null,
      rules: inForce?.rules ?? [],
      ruleSets: [...sets.values()],
      assignments: assignments.map((a) => ({
        id: a.id,
        userId: a.user_id,
        role: a.role,
        effectiveFrom: a.effective_from,
      })),
    };
  }

  // TDS

  async tds(caller: Actor['caller']): Promise<TdsSettings> {
    requireAdmin(caller, 'reads TDS settings');
    return tdsSettings(this.db);
  }

  async updateTds(actor: Actor, patch: Partial<TdsSettings>): Promise<TdsSettings> {
    requireAdmin(actor.caller, 'changes TDS settings');
    return this.db.transaction(async (trx) => {
      await trx('tds_settings').forUpdate().first();
      const before = await tdsSettings(trx);
      const after = { ...before, ...patch };
      await trx('tds_settings').update({
        rate_bps: after.rateBps,
        no_pan_rate_bps: after.noPanRateBps,
        threshold_paise: after.thresholdPaise,
        updated_at: trx.fn.now(),
      });
      await recordAuditBy(trx, actor, 'config.tds_updated', 'tds', { before, after });
      return after;
    });
  }

  // Providers and routes

  async providers(caller: Actor['caller']): Promise<ProviderView[]> {
    requireAdmin(caller, 'reads provider configuration');
    return this.providerViews();
  }

  private async providerViews(): Promise<ProviderView[]> {
    const rows = (await this.db('recharge_providers').orderBy('name')) as Array<{
      name: string;
      enabled: boolean;
      definition: unknown;
      updated_at: Date;
    }>;
    const routes = (await this.db('recharge_routes').orderBy(['operator', 'priority'])) as Array<{
      provider: string;
      operator: string;
      priority: number;
      enabled: boolean;
    }>;
    return rows.map((r) => ({
      name: r.name,
      enabled: r.enabled,
      definition: r.definition,
      routes: routes
        .filter((x) => x.provider === r.name)
        .map((x) => ({ operator: x.operator, priority: x.priority, enabled: x.enabled })),
      updatedAt: r.updated_at,
    }));
  }

  /** A definition the adapter can run here: its schema, then every PROVIDER_* variable and placeholder it names. */
  private buildProvider(name: string, definition: unknown): HttpRechargeProvider {
    try {
      return new HttpRechargeProvider(name, parseDefinition(name, definition), this.providerEnv);
    } catch (err) {
      if (!(err instanceof ProviderConfigError)) throw err;
      throw new AppError('VALIDATION_FAILED', 'Invalid provider definition', {
        fields: [{ path: 'body.definition', message: err.message }],
      });
    }
  }

  /** A status check of a reference the provider cannot know: a not-found (or any status) answer proves the definition works. */
  async dryRun(
    caller: Actor['caller'],
    name: string,
    definition: unknown,
  ): Promise<{ name: string; reachable: boolean; result: ProviderResult }> {
    requireAdmin(caller, 'checks provider definitions');
    const provider = this.buildProvider(name, definition);
    const { result } = await provider.status(`dryrun-${randomUUID()}`);
    return { name, reachable: result.status !== 'unknown' && result.status !== 'unavailable', result };
  }

  async createProvider(
    actor: Actor,
    input: { name: string; definition: unknown; enabled: boolean },
  ): Promise<ProviderView> {
    requireAdmin(actor.caller, 'adds providers');
    this.buildProvider(input.name, input.definition);
    await this.db.transaction(async (trx) => {
      const inserted = (await trx('recharge_providers')
        .insert({ name: input.name, enabled: input.enabled, definition: JSON.stringify(input.definition) })
        .onConflict('name')
        .ignore()
        .returning('name')) as unknown[];
      if (!inserted.length) throw new AppError('CONFLICT', `Provider ${input.name} exists: change it with PUT`);
      await recordAuditBy(trx, actor, 'config.provider_created', input.name, input);
    });
    return this.provider(input.name);
  }

  async updateProvider(
    actor: Actor,
    name: string,
    patch: { definition?: unknown; enabled?: boolean },
  ): Promise<ProviderView> {
    requireAdmin(actor.caller, 'changes providers');
    if (patch.definition !== undefined) this.buildProvider(name, patch.definition);
    await this.db.transaction(async (trx) => {
      const row = (await trx('recharge_providers').where({ name }).forUpdate().first()) as
        { definition: unknown; enabled: boolean } | undefined;
      if (!row) throw notFound('Provider');
      await trx('recharge_providers')
        .where({ name })
        .update({
          ...(patch.definition !== undefined ? { definition: JSON.stringify(patch.definition) } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          updated_at: trx.fn.now(),
        });
      await recordAuditBy(trx, actor, 'config.provider_updated', name, { before: row, after: patch });
    });
    return this.provider(name);
  }

  /** The provider's routes become exactly these; operators it has no code for are refused. */
  async replaceRoutes(
    actor: Actor,
    name: string,
    routes: Array<{ operator: string; priority: number; enabled: boolean }>,
  ): Promise<ProviderView> {
    requireAdmin(actor.caller, 'changes routes');
    await this.db.transaction(async (trx) => {
      const row = (await trx('recharge_providers').where({ name }).forUpdate().first('definition')) as
        { definition: { operators?: Record<string, string> } } | undefined;
      if (!row) throw notFound('Provider');
      const operators = new Set(
        ((await trx('operators').select('code')) as Array<{ code: string }>).map((o) => o.code),
      );
      const fields: Array<{ path: string; message: string }> = [];
      const seen = new Set<string>();
      routes.forEach((r, i) => {
        if (!operators.has(r.operator))
          fields.push({ path: `body.routes.${i}.operator`, message: `no operator ${r.operator}` });
        else if (!Object.hasOwn(row.definition.operators ?? {}, r.operator)) {
          fields.push({ path: `body.routes.${i}.operator`, message: `${name} has no code for ${r.operator}` });
        }
        if (seen.has(r.operator)) fields.push({ path: `body.routes.${i}.operator`, message: 'listed twice' });
        seen.add(r.operator);
      });
      if (fields.length) throw new AppError('VALIDATION_FAILED', 'Invalid routes', { fields });
      const before = (await trx('recharge_routes')
        .where({ provider: name })
        .select('operator', 'priority', 'enabled')) as unknown[];
      await trx('recharge_routes').where({ provider: name }).delete();
      if (routes.length) {
        await trx('recharge_routes').insert(routes.map((r) => ({ ...r, provider: name })));
      }
      await recordAuditBy(trx, actor, 'config.routes_replaced', name, { before, after: routes });
    });
    return this.provider(name);
  }

  private async provider(name: string): Promise<ProviderView> {
    return (await this.providerViews()).find((p) => p.name === name)!;
  }
}

/** When a change takes effect: now by default; never in the past, which would rewrite history. */
function effectiveFrom(requested: Date | undefined): Date {
  const now = new Date();
  if (!requested || (requested <= now && now.getTime() - requested.getTime() <= NOW_GRACE_MS)) return now;
  if (requested < now) {
    throw new AppError('VALIDATION_FAILED', 'effectiveFrom is in the past: history is never rewritten', {
      fields: [{ path: 'body.effectiveFrom', message: 'must not be in the past' }],
    });
  }
  return requested;
}
