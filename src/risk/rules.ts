/**
 * The risk rules as pure logic: which rules apply to a movement, and what each says given the
 * facts the store counted for it (src/risk/store.ts). No database, no clock.
 */

export const ruleKinds = [
  'retailer_velocity',
  'subscriber_velocity',
  'amount_band',
  'failed_recharges',
  'first_use',
  'dormant_account',
  'max_single_amount',
  'daily_spend',
] as const;
export type RuleKind = (typeof ruleKinds)[number];

export const riskActions = ['block', 'review', 'flag'] as const;
export type RiskAction = (typeof riskActions)[number];

/** Every money movement's screening step, and whose risk it is (the user named in a Movement). */
export type MovementKind = 'recharge' | 'transfer' | 'pull_back' | 'topup_request' | 'topup_approval';

export interface RiskRule {
  id: string;
  kind: RuleKind;
  enabled: boolean;
  /** A count of recharges for counting rules, paise for amount rules. */
  threshold: bigint;
  /** Look-back of counting rules, dormancy period of dormant_account; null where there is none. */
  windowSeconds: number | null;
  action: RiskAction;
  role: string | null;
  userId: string | null;
  /** amount_band: the band, paise, both ends included. */
  band: { minPaise: bigint; maxPaise: bigint } | null;
  description: string;
  updatedAt: Date;
}

export interface Movement {
  kind: MovementKind;
  /** The recharge, transfer or top-up id: an alert names it, and a retried screening finds its own. */
  subjectId: string;
  /** Whose risk: the spender (recharge, credit down), the wallet pulled from, the top-up requester. */
  userId: string;
  role: string;
  amount: bigint;
  /** Recharges only. */
  subscriber?: string;
}

/** What the store counted for one rule, excluding the movement itself. */
export type Fact =
  | { kind: 'count'; n: number }
  | { kind: 'sum'; paise: bigint }
  | { kind: 'first'; first: boolean }
  | { kind: 'idle'; idleSeconds: number | null }
  | { kind: 'none' };

const appliesTo: Record<RuleKind, readonly MovementKind[]> = {
  retailer_velocity: ['recharge'],
  subscriber_velocity: ['recharge'],
  amount_band: ['recharge'],
  failed_recharges: ['recharge'],
  first_use: ['recharge'],
  dormant_account: ['recharge', 'transfer', 'topup_approval'],
  max_single_amount: ['recharge', 'transfer', 'pull_back', 'topup_request', 'topup_approval'],
  daily_spend: ['recharge', 'transfer'],
};

/** Kinds whose rule for a user replaces the rule of its role (a disabled one exempts the user). */
const personal: readonly RuleKind[] = ['max_single_amount', 'daily_spend'];

/** The enabled rules that apply to the movement: kind, role, and a user's own rule before its role's. */
export function applicableRules(rules: readonly RiskRule[], m: Movement): RiskRule[] {
  const ownKinds = new Set(rules.filter((r) => r.userId === m.userId).map((r) => r.kind));
  return rules.filter((r) => {
    if (!r.enabled || !appliesTo[r.kind].includes(m.kind)) return false;
    if (r.userId !== null) return r.userId === m.userId;
    if (personal.includes(r.kind) && ownKinds.has(r.kind)) return false;
    if (r.role !== null && r.role !== m.role) return false;
    if (r.kind === 'amount_band') return r.band !== null && m.amount >= r.band.minPaise && m.amount <= r.band.maxPaise;
    return true;
  });
}

/** Why the rule fires for the movement given its fact; null when it does not. */
export function breach(rule: RiskRule, m: Movement, fact: Fact): string | null {
  const t = rule.threshold;
  const window = `${rule.windowSeconds ?? 0} s`;
  switch (rule.kind) {
    case 'max_single_amount':
      return m.amount > t ? `amount ${m.amount} paise is above the maximum ${t} for one movement` : null;
    case 'retailer_velocity':
    case 'subscriber_velocity':
    case 'amount_band': {
      const n = fact.kind === 'count' ? fact.n + 1 : 0;
      const who = rule.kind === 'subscriber_velocity' ? `recharges of ${m.subscriber}` : 'recharges by this user';
      return BigInt(n) > t ? `${n} ${who} within ${window} (at most ${t})` : null;
    }
    case 'failed_recharges': {
      const n = fact.kind === 'count' ? fact.n : 0;
      return BigInt(n) >= t ? `${n} declined recharges of ${m.subscriber} within ${window}` : null;
    }
    case 'first_use':
      return fact.kind === 'first' && fact.first && m.amount > t
        ? `first recharge of ${m.amount} paise, above ${t}`
        : null;
    case 'daily_spend': {
      const spent = (fact.kind === 'sum' ? fact.paise : 0n) + m.amount;
      return spent > t ? `${spent} paise spent today, above the daily limit ${t}` : null;
    }
    case 'dormant_account': {
      const idle = fact.kind === 'idle' ? fact.idleSeconds : null;
      return idle !== null && idle >= (rule.windowSeconds ?? Infinity) && m.amount >= t
        ? `wallet unused for ${Math.floor(idle / 86_400)} days moves ${m.amount} paise`
        : null;
    }
  }
}

export interface Hit {
  rule: RiskRule;
  detail: string;
}

export type Verdict =
  { action: 'allow'; hits: Hit[] } | { action: 'block' | 'review'; rule: string; message: string; hits: Hit[] };

/**
 * The movement's verdict from every rule that fired: the strongest action wins (block, then
 * review; flags only alert), the first such rule by id names it. Outside recharges nothing waits
 * for a person, so a review there is answered as allowed and alerted, like a flag.
 */
export function verdictOf(m: Movement, hits: Hit[]): Verdict {
  const sorted = [...hits].sort((a, b) => a.rule.id.localeCompare(b.rule.id));
  const block = sorted.find((h) => h.rule.action === 'block');
  const review = m.kind === 'recharge' ? sorted.find((h) => h.rule.action === 'review') : undefined;
  const decisive = block ?? review;
  if (!decisive) return { action: 'allow', hits: sorted };
  return {
    action: decisive.rule.action as 'block' | 'review',
    rule: decisive.rule.id,
    message: `risk rule ${decisive.rule.id}: ${decisive.detail}`,
    hits: sorted,
  };
}

/** The hits that leave an alert: reviews and flags (a blocked movement moved nothing). */
export function alerting(v: Verdict): Hit[] {
  return v.action === 'block' ? [] : v.hits.filter((h) => h.rule.action !== 'block');
}

/** The rule a refusal message names (`risk rule <id>: …`), for answers read back from a recharge row. */
export function ruleOfRefusal(message: string | null): string | undefined {
  return /^risk rule ([A-Za-z0-9_]+):/.exec(message ?? '')?.[1];
}
