import { tdsOnCommission, type PayeeTaxState, type TdsSettings } from '../catalog/tds';
import type { OperatorKind } from './operators';

export type CommissionRole = 'master_distributor' | 'distributor' | 'retailer';

export interface CommissionRule {
  role: CommissionRole;
  operator: string | null;
  kind: OperatorKind | null;
  mode: 'percent' | 'flat';
  /** Basis points for 'percent', paise for 'flat'. */
  value: bigint;
  /** A rate the plan withholds from every commission of this rule; 0: the statutory rule (src/catalog/tds.ts). */
  tdsBps: number;
}

export interface Beneficiary {
  userId: string;
  role: string;
  /** The rules of the plan that applies to this user (its own, else the default). */
  rules: CommissionRule[];
}

export interface CommissionLeg {
  userId: string;
  role: CommissionRole;
  /** Commission earned. */
  gross: bigint;
  /** Withheld as TDS, posted to TDS payable. */
  tds: bigint;
  /** Credited to the wallet: gross - tds. */
  net: bigint;
}

/** The most specific rule: operator match, then kind match, then the catch-all. */
export function pickRule(rules: CommissionRule[], role: string, operator: string, kind: OperatorKind) {
  const mine = rules.filter((r) => r.role === role);
  return (
    mine.find((r) => r.operator === operator) ??
    mine.find((r) => r.operator === null && r.kind === kind) ??
    mine.find((r) => r.operator === null && r.kind === null)
  );
}

/** What TDS depends on beyond the rule: the settings and each payee's year so far. */
export interface TdsContext {
  settings: TdsSettings;
  payees: ReadonlyMap<string, PayeeTaxState>;
}

/**
 * Commission for every level of the chain (the recharging user and its uplines), in integer
 * paise, rounded down: ₹100 at 3% is exactly ₹3.00. Levels without a rule, or earning 0, get no leg.
 * TDS is the rule's own rate when it has one, else section 194H's (a payee missing from
 * `tax.payees` counts as having earned nothing this year and having no verified PAN).
 */
export function commissionLegs(
  chain: Beneficiary[],
  operator: string,
  kind: OperatorKind,
  amount: bigint,
  tax: TdsContext,
): CommissionLeg[] {
  const legs: CommissionLeg[] = [];
  for (const b of chain) {
    if (b.role !== 'retailer' && b.role !== 'distributor' && b.role !== 'master_distributor') continue;
    const rule = pickRule(b.rules, b.role, operator, kind);
    if (!rule) continue;
    const gross = rule.mode === 'percent' ? (amount * rule.value) / 10_000n : rule.value;
    if (gross <= 0n) continue;
    const tds =
      rule.tdsBps > 0
        ? (gross * BigInt(rule.tdsBps)) / 10_000n
        : tdsOnCommission(gross, tax.payees.get(b.userId) ?? { fyGrossBefore: 0n, panVerified: false }, tax.settings);
    legs.push({ userId: b.userId, role: b.role, gross, tds, net: gross - tds });
  }
  return legs;
}
