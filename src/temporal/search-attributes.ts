import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes: support finds money workflows in the Temporal UI and with
 * `temporal workflow list --query "RechargeStatus='manual_review'"`.
 * The dev server registers them at start; a real cluster needs
 * `temporal operator search-attribute create` once (see README).
 */
export const searchAttributes = {
  userId: defineSearchAttributeKey('TijoriUserId', SearchAttributeType.KEYWORD),
  operator: defineSearchAttributeKey('Operator', SearchAttributeType.KEYWORD),
  provider: defineSearchAttributeKey('Provider', SearchAttributeType.KEYWORD),
  rechargeStatus: defineSearchAttributeKey('RechargeStatus', SearchAttributeType.KEYWORD),
  topupStatus: defineSearchAttributeKey('TopupStatus', SearchAttributeType.KEYWORD),
  amountPaise: defineSearchAttributeKey('AmountPaise', SearchAttributeType.INT),
} as const;

export const searchAttributeKeys = Object.values(searchAttributes);
