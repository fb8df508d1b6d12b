import type { Knex } from 'knex';
import { recordAuditBy } from '../audit/log';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import type { OperatorKind } from '../recharges/operators';
import type { Caller } from '../users/types';
import type { OperatorLookup, SubscriberLookup } from './lookup';

/** Who changes configuration, for the audit log. */
export interface Actor {
  caller: Caller;
  requestId?: string;
  ip?: string;
}

export interface OperatorView {
  code: string;
  kind: OperatorKind;
  name: string;
  enabled: boolean;
  minAmount: bigint;
  maxAmount: bigint;
  amountStep: bigint;
  planOnly: boolean;
}

export interface Plan {
  id: string;
  operator: string;
  circle: string | null;
  amount: bigint;
  validityDays: number;
  data: string | null;
  talktime: bigint | null;
  category: string;
  description: string;
  active: boolean;
}

export type PlanInput = Omit<Plan, 'id' | 'active'>;

interface OperatorRow {
  code: string;
  kind: OperatorKind;
  name: string;
  enabled: boolean;
  min_amount: bigint | string;
  max_amount: bigint | string;
  amount_step: bigint | string;
  plan_only: boolean;
}

function operatorView(r: OperatorRow): OperatorView {
  return {
    code: r.code,
    kind: r.kind,
    name: r.name,
    enabled: r.enabled,
    minAmount: BigInt(r.min_amount),
    maxAmount: BigInt(r.max_amount),
    amountStep: BigInt(r.amount_step),
    planOnly: r.plan_only,
  };
}

interface PlanRow {
  id: string;
  operator: string;
  circle: string | null;
  amount: bigint | string;
  validity_days: number;
  data: string | null;
  talktime: bigint | string | null;
  category: string;
  description: string;
  active: boolean;
}

function planView(r: PlanRow): Plan {
  return {
    id: r.id,
    operator: r.operator,
    circle: r.circle,
    amount: BigInt(r.amount),
    validityDays: r.validity_days,
    data: r.data,
    talktime: r.talktime === null ? null : BigInt(r.talktime),
    category: r.category,
    description: r.description,
    active: r.active,
  };
}

export function requireAdmin(caller: Caller, what: string): void {
  if (caller.role !== 'admin') throw new AppError('FORBIDDEN', `Only an admin ${what}`);
}

/** Operators, their plans and the operator lookup of a number, for recharge screens; admins edit them. */
export class CatalogService {
  constructor(
    private readonly db: Knex,
    private readonly operatorLookup: OperatorLookup,
  ) {}

  async operators(): Promise<OperatorView[]> {
    return ((await this.db('operators').orderBy(['kind', 'code'])) as OperatorRow[]).map(operatorView);
  }

  async lookup(subscriber: string): Promise<SubscriberLookup> {
    const found = await this.operatorLookup.lookup(subscriber);
    if (!found) throw new AppError('NOT_FOUND', 'No number series or provider knows this number');
    return found;
  }

  async updateOperator(
    actor: Actor,
    code: string,
    patch: { enabled?: boolean; minAmount?: bigint; maxAmount?: bigint; planOnly?: boolean },
  ): Promise<OperatorView> {
    requireAdmin(actor.caller, 'changes operators');
    return this.db.transaction(async (trx) => {
      const row = (await trx('operators').where({ code }).forUpdate().first()) as OperatorRow | undefined;
      if (!row) throw notFound('Operator');
      const before = operatorView(row);
      const after = { ...before, ...patch };
      if (after.minAmount > after.maxAmount) {
        throw new AppError('VALIDATION_FAILED', 'minAmount must not exceed maxAmount', {
          fields: [{ path: 'body.minAmount', message: `above maxAmount ${after.maxAmount}` }],
        });
      }
      if (after.planOnly && !before.planOnly) {
        const plan = (await trx('plans').where({ operator: code, active: true }).first('id')) as unknown;
        if (!plan) {
          throw new AppError('VALIDATION_FAILED', `${code} has no active plans to accept`, {
            fields: [{ path: 'body.planOnly', message: 'the operator has no active plans' }],
          });
        }
      }
      await trx('operators').where({ code }).update({
        enabled: after.enabled,
        min_amount: after.minAmount,
        max_amount: after.maxAmount,
        plan_only: after.planOnly,
        updated_at: trx.fn.now(),
      });
      await recordAuditBy(trx, actor, 'config.operator_updated', code, { before, after });
      return after;
    });
  }

  /** Active plans of an operator (of the circle and those for every circle, when a circle is given). */
  async plans(q: { operator?: string; circle?: string }): Promise<Plan[]> {
    const query = this.db('plans').where({ active: true }).orderBy(['operator', 'amount', 'id']);
    if (q.operator) query.where({ operator: q.operator });
    if (q.circle) query.where((w) => w.whereNull('circle').orWhere('circle', q.circle!));
    return ((await query) as PlanRow[]).map(planView);
  }

  async createPlan(actor: Actor, input: PlanInput): Promise<Plan> {
    requireAdmin(actor.caller, 'edits plans');
    return this.db.transaction(async (trx) => {
      await this.requireOperator(trx, input.operator);
      const id = newId('plan');
      await trx('plans').insert({ id, ...planColumns(input) });
      const plan = { id, ...input, active: true };
      await recordAuditBy(trx, actor, 'config.plan_created', id, { plan });
      return plan;
    });
  }

  async updatePlan(actor: Actor, id: string, patch: Partial<PlanInput> & { active?: boolean }): Promise<Plan> {
    requireAdmin(actor.caller, 'edits plans');
    return this.db.transaction(async (trx) => {
      const row = (await trx('plans').where({ id }).forUpdate().first()) as PlanRow | undefined;
      if (!row) throw notFound('Plan');
      const before = planView(row);
      const after: Plan = { ...before, ...patch };
      if (patch.operator) await this.requireOperator(trx, patch.operator);
      await trx('plans')
        .where({ id })
        .update({ ...planColumns(after), active: after.active, updated_at: trx.fn.now() });
      await recordAuditBy(trx, actor, 'config.plan_updated', id, { before, after });
      return after;
    });
  }

  private async requireOperator(trx: Knex.Transaction, code: string): Promise<void> {
    if (!(await trx('operators').where({ code }).first('code'))) {
      throw new AppError('UNKNOWN_OPERATOR', `No operator ${code}`);
    }
  }
}

function planColumns(p: PlanInput) {
  return {
    operator: p.operator,
    circle: p.circle,
    amount: p.amount,
    validity_days: p.validityDays,
    data: p.data,
    talktime: p.talktime,
    category: p.category,
    description: p.description,
  };
}
