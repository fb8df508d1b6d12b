import type { Role, KycTier } from '../users/types';

/** Balance caps in paise, as configured (src/config.ts `kyc.caps`); null means no cap. */
export interface KycCapsConfig {
  tiers: Record<KycTier, number>;
  byRole: Partial<Record<Role, Partial<Record<KycTier, number | null>>>>;
}

/**
 * The wallet balance cap for a role at a KYC tier: the role's override if configured, else the
 * tier's. Admin and support have none (support has no wallet; admin's is the platform's own).
 *
 * A cap applies to credits only: when a wallet already holds more than a new, lower cap (the
 * configuration was lowered), nothing is taken away and spending goes on as usual; every credit is
 * refused (LIMIT_EXCEEDED) until the balance is back under the cap. Tiers themselves only go up.
 */
export function capFor(role: Role, tier: KycTier, caps: KycCapsConfig): bigint | null {
  if (role === 'admin' || role === 'support') return null;
  const override = caps.byRole[role]?.[tier];
  const paise = override === undefined ? caps.tiers[tier] : override;
  return paise === null ? null : BigInt(paise);
}
