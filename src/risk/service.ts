import type { Client } from '@temporalio/client';
import { recordAuditBy, type AuditActor } from '../audit/log';
import type { Db } from '../db/knex';
import { AppError, notFound } from '../errors';
import { reKycTrigger } from '../kyc/service';
import { KycStore } from '../kyc/store';
import { findUser } from '../users/store';
import type { Caller } from '../users/types';
import {
  alerting,
  applicableRules,
  breach,
  verdictOf,
  type Movement,
  type RiskAction,
  type RiskRule,
  type Verdict,
} from './rules';
import { RE_KYC_ALERTS, RE_KYC_HOURS, RiskStore, type RiskAlert, type RuleSet } from './store';

/** Asks the user's KYC workflow for re-KYC (src/kyc/service.ts reKycTrigger). */
export type ReKycRequest = (userId: string, reason: string) => Promise<void>;

export interface RiskDeps {
  db: Db;
  store: RiskStore;
  kyc: KycStore;
  requestReKyc: ReKycRequest;
}

const allowed: Verdict = { action: 'allow', hits: [] };

/**
 * The rules engine in the money path: every movement's screening step asks it before any money
 * is held or moved (recharges in src/recharges/screening.ts, transfers and pull-backs in
 * src/wallets/service.ts, top-up requests and approvals in src/topups/service.ts).
 */
export class RiskEngine {
  /** Every rule, checked against the table's version in the statement that counts the facts. */
  private ruleSet: RuleSet | undefined;

  constructor(private readonly deps: RiskDeps) {}

  /**
   * The movement's verdict; its reviews and flags are recorded as alerts first (once per rule and
   * movement, however often a screening runs), and the alert that makes a user's third within
   * 24 h marks its KYC re-KYC required (spending stops at once) and asks its KYC workflow for
   * re-KYC, in one transaction: a failed request leaves no alert behind, and the retried
   * screening asks again. Platform staff move no risk of their own.
   */
  async screen(m: Movement): Promise<Verdict> {
    if (m.role === 'admin' || m.role === 'support') return allowed;
    const { store } = this.deps;
    let set = (this.ruleSet ??= await store.ruleSet());
    let rules = applicableRules(set.rules, m);
    let read = await store.facts(m, rules);
    // The set changed since it was cached (an admin's PUT, in any process): read it and count again.
    while (read.version !== set.version) {
      set = this.ruleSet = await store.ruleSet();
      rules = applicableRules(set.rules, m);
      read = await store.facts(m, rules);
    }
    const { facts } = read;
    const verdict = verdictOf(
      m,
      rules.flatMap((rule) => {
        const detail = breach(rule, m, facts.get(rule.id) ?? { kind: 'none' });
        return detail === null ? [] : [{ rule, detail }];
      }),
    );
    const alerts = alerting(verdict);
    if (alerts.length) {
      await this.deps.db.transaction(async (trx) => {
        const { reKyc } = await store.recordAlerts(trx, m, alerts);
        if (!reKyc) return;
        const reason = `risk: ${RE_KYC_ALERTS} alerts within ${RE_KYC_HOURS} h (the last: ${alerts[0]!.rule.id})`;
        await this.deps.kyc.markReKycRequiredIn(trx, m.userId, 'system', reason);
        await this.deps.requestReKyc(m.userId, reason);
      });
    }
    return verdict;
  }

  /** The review a recharge's screening decided, for a screening run again after its hold. */
  async reviewOf(subjectId: string): Promise<{ rule: string; message: string } | undefined> {
    const r = await this.deps.store.reviewOf(subjectId);
    return r && { rule: r.rule, message: `risk rule ${r.rule}: ${r.detail}` };
  }

  /** For movements answered at once: a block is 422 RISK_REJECTED naming the rule; anything else goes on. */
  async assertAllowed(m: Movement): Promise<void> {
    const v = await this.screen(m);
    if (v.action === 'block') throw new AppError('RISK_REJECTED', v.message, { rule: v.rule });
  }
}

/** The engine of an API or worker process: re-KYC goes to the KYC workflows on `taskQueue`. */
export function riskEngine(db: Db, temporal: Client, taskQueue: string): RiskEngine {
  return new RiskEngine({
    db,
    store: new RiskStore(db),
    kyc: new KycStore(db),
    requestReKyc: reKycTrigger(temporal, taskQueue),
  });
}

/** A rule id a user's own rule takes: `<kind>__<userId>` (max_single_amount and daily_spend). */
const userRuleId = /^(max_single_amount|daily_spend)__([A-Za-z0-9_]+)$/;

export interface RulePatch {
  enabled?: boolean;
  threshold?: bigint;
  action?: RiskAction;
}

/** Rules (admin) and alerts (support, admin) over the API; every rule change is audited. */
export class RiskAdmin {
  constructor(
    private readonly db: Db,
    private readonly store: RiskStore,
  ) {}

  async rules(caller: Caller): Promise<RiskRule[]> {
    assertRole(caller, ['admin']);
    return this.store.rules();
  }

  /**
   * Changes a rule; `<kind>__<userId>` for max_single_amount or daily_spend creates that user's
   * own rule (threshold required), which replaces its role's.
   */
  async updateRule(actor: AuditActor & { caller: Caller }, id: string, patch: RulePatch): Promise<RiskRule> {
    assertRole(actor.caller, ['admin']);
    return this.db.transaction(async (trx) => {
      const before = await this.store.rule(id, trx);
      let after: RiskRule;
      if (before) {
        after = await this.store.updateRule(trx, id, patch);
      } else {
        const own = userRuleId.exec(id);
        if (!own) throw notFound('Risk rule');
        const user = await findUser(trx, own[2]!);
        if (!user || user.role === 'admin' || user.role === 'support') throw notFound('User');
        if (patch.threshold === undefined) {
          throw new AppError('VALIDATION_FAILED', "A user's own rule needs a threshold", {
            fields: [{ path: 'body.threshold', message: 'required to create a rule' }],
          });
        }
        const kind = own[1] as 'max_single_amount' | 'daily_spend';
        after = await this.store.insertUserRule(trx, {
          id,
          kind,
          enabled: patch.enabled ?? true,
          threshold: patch.threshold,
          windowSeconds: null,
          action: patch.action ?? 'block',
          userId: user.id,
          description: `${kind} of user ${user.id}, in place of its role's`,
        });
      }
      await recordAuditBy(trx, actor, 'risk.rule_updated', id, {
        before: before && { enabled: before.enabled, threshold: before.threshold.toString(), action: before.action },
        after: { enabled: after.enabled, threshold: after.threshold.toString(), action: after.action },
      });
      return after;
    });
  }

  async alerts(
    caller: Caller,
    q: { status?: 'open' | 'resolved'; userId?: string; limit: number },
  ): Promise<RiskAlert[]> {
    assertRole(caller, ['admin', 'support']);
    return this.store.alerts(q);
  }

  async resolveAlert(actor: AuditActor & { caller: Caller }, id: string, note: string): Promise<RiskAlert> {
    assertRole(actor.caller, ['admin', 'support']);
    return this.db.transaction(async (trx) => {
      const resolved = await this.store.resolve(trx, id, actor.caller.id, note);
      if (!resolved) {
        const alert = await this.store.alert(id, trx);
        if (!alert) throw notFound('Risk alert');
        throw new AppError('CONFLICT', `This alert was already resolved by ${alert.resolvedBy}`);
      }
      await recordAuditBy(trx, actor, 'risk.alert_resolved', resolved.userId, { alertId: id, note });
      return resolved;
    });
  }
}

function assertRole(caller: Caller, roles: readonly Caller['role'][]): void {
  if (!roles.includes(caller.role)) throw new AppError('FORBIDDEN', `Only ${roles.join(' or ')} may do this`);
}
