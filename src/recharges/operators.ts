export type OperatorKind = 'prepaid' | 'dth';

export interface OperatorConfig {
  code: string;
  name: string;
  kind: OperatorKind;
  minAmount: bigint;
  maxAmount: bigint;
  amountStep: bigint;
  planAmounts: bigint[] | null;
  enabled: boolean;
}

const prepaidSubscriber = /^[6-9][0-9]{9}$/;
const dthSubscriber = /^[0-9A-Za-z]{6,20}$/;

export type OperatorCheck =
  { ok: true } | { ok: false; code: 'UNKNOWN_OPERATOR' | 'INVALID_AMOUNT' | 'VALIDATION_FAILED'; message: string };

/** Whether a recharge request fits the operator's rules; pure, so the API and the workflow agree. */
export function checkAgainstOperator(
  op: OperatorConfig | undefined,
  req: { subscriber: string; amount: bigint },
): OperatorCheck {
  if (!op || !op.enabled) return { ok: false, code: 'UNKNOWN_OPERATOR', message: 'Unknown or disabled operator' };
  const pattern = op.kind === 'prepaid' ? prepaidSubscriber : dthSubscriber;
  if (!pattern.test(req.subscriber)) {
    return {
      ok: false,
      code: 'VALIDATION_FAILED',
      message:
        op.kind === 'prepaid'
          ? 'subscriber must be a 10-digit Indian mobile number'
          : 'subscriber must be the 6-20 character DTH customer id',
    };
  }
  const rupees = (p: bigint) => `₹${p / 100n}${p % 100n ? `.${String(p % 100n).padStart(2, '0')}` : ''}`;
  if (req.amount < op.minAmount || req.amount > op.maxAmount) {
    return {
      ok: false,
      code: 'INVALID_AMOUNT',
      message: `${op.name} accepts ${rupees(op.minAmount)} to ${rupees(op.maxAmount)}`,
    };
  }
  if (req.amount % op.amountStep !== 0n) {
    return { ok: false, code: 'INVALID_AMOUNT', message: `${op.name} accepts multiples of ${rupees(op.amountStep)}` };
  }
  if (op.planAmounts && !op.planAmounts.includes(req.amount)) {
    return { ok: false, code: 'INVALID_AMOUNT', message: `${op.name} accepts only its plan amounts` };
  }
  return { ok: true };
}
