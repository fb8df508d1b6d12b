/** Our operator codes and what a subscriber id looks like for each kind. */
export const OPERATOR_KINDS = {
  JIO: 'prepaid',
  AIRTEL: 'prepaid',
  VI: 'prepaid',
  BSNL: 'prepaid',
  TATAPLAY: 'dth',
  AIRTELDTH: 'dth',
  DISHTV: 'dth',
  D2H: 'dth',
  SUNDIRECT: 'dth',
} as const;

export type Operator = keyof typeof OPERATOR_KINDS;

const subscriberPattern = {
  prepaid: /^[6-9]\d{9}$/,
  dth: /^\d{8,16}$/,
};

export function isValidSubscriber(operator: Operator, subscriber: string): boolean {
  return subscriberPattern[OPERATOR_KINDS[operator]].test(subscriber);
}

/** Every provider caps a single recharge; amounts are whole rupees. */
export const MAX_RECHARGE_PAISE = 25_000_00;
