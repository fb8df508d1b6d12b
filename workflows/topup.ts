import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { searchAttributes } from '../src/temporal/search-attributes';
import {
  decideTopupUpdate,
  expireTopupUpdate,
  gatewayPaymentSignal,
  paymentLinkUpdate,
  topupStateQuery,
  type GatewayPaymentEvent,
  type TopupDecision,
  type TopupExpiry,
  type TopupState,
  type TopupWorkflowInput,
} from '../src/topups/workflow-api';
import type { FundingSource } from '../src/topups/approval';
import type { TopupStatus } from '../src/topups/types';

const activityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;

const { creditTopup, finishTopup, settleGatewayPayment, startNotifications } =
  proxyActivities<Activities>(activityOptions);

/**
 * Runs from this patch on settle every payment the gateway reports through settleGatewayPayment,
 * including one that comes after another payment or after the top-up closed; runs recorded before
 * it credited only the first matching success and dropped the rest.
 */
const SETTLE_EVERY_GATEWAY_PAYMENT = 'settle-every-gateway-payment';

const sourceOf = (d: TopupDecision): FundingSource =>
  d.source ?? (d.fundedBy === 'platform' ? 'platform' : { userId: d.by });

/** An activity's final failure, as a failure the update's caller sees with the same type (code). */
function rethrowForCaller(err: unknown): never {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type, ...(err.cause.details ?? []));
  }
  throw err;
}

/**
 * A top-up: a bank-transfer fund request waiting for its upline's decision, or a gateway
 * payment waiting for the gateway's webhook; either expires if nothing happens in time.
 * Money moves only in `creditTopup` and `settleGatewayPayment`, whose ledger transfer id is the
 * top-up's, so replays and duplicate decisions or webhooks can never credit twice.
 *
 * Money the gateway captured is never dropped: a payment reported after the first one, or after
 * the top-up failed or expired, is settled before the workflow ends; one reported after it ended
 * starts a new run of it (`closedAs`, by signal-with-start from the API) that only settles it.
 */
export async function topupWorkflow(input: TopupWorkflowInput): Promise<TopupState> {
  const state: TopupState = {
    status: input.closedAs ?? (input.method === 'bank_transfer' ? 'pending_approval' : 'awaiting_payment'),
    paymentUrl: null,
    failureReason: null,
  };
  let deciding = false;
  let payment: GatewayPaymentEvent | undefined;
  /** Payments reported after the first, or while the top-up was not waiting for one. */
  const laterPayments: GatewayPaymentEvent[] = [];

  const setStatus = (status: TopupStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: searchAttributes.topupStatus, value: status }]);
  };
  const open = () => state.status === 'pending_approval' || state.status === 'awaiting_payment';

  setHandler(topupStateQuery, () => state);

  setHandler(
    decideTopupUpdate,
    async (d: TopupDecision) => {
      deciding = true;
      try {
        if (d.decision === 'approve') {
          await creditTopup({
            topupId: input.topupId,
            userId: input.userId,
            amountPaise: input.amountPaise,
            source: sourceOf(d),
            decidedBy: d.by,
            note: d.note,
          }).catch(rethrowForCaller);
          setStatus('completed');
        } else {
          await finishTopup({ topupId: input.topupId, status: 'rejected', decidedBy: d.by, note: d.note });
          setStatus('rejected');
        }
        return state;
      } finally {
        deciding = false;
      }
    },
    {
      validator: (d: TopupDecision) => {
        if (input.method !== 'bank_transfer') {
          throw ApplicationFailure.nonRetryable('Gateway top-ups are settled by the gateway', 'CONFLICT');
        }
        if (deciding) throw ApplicationFailure.nonRetryable('A decision on this top-up is in progress', 'CONFLICT');
        if (!open()) throw ApplicationFailure.nonRetryable(`This top-up is already ${state.status}`, 'CONFLICT');
        const source = d.decision === 'approve' ? sourceOf(d) : 'platform';
        if (
          d.decision === 'approve' &&
          (d.by === input.userId || (source !== 'platform' && source.userId === input.userId))
        ) {
          throw ApplicationFailure.nonRetryable('Nobody can approve their own top-up request', 'FORBIDDEN');
        }
      },
    },
  );

  // Operations expire a request nobody will settle. No patch is needed for histories already
  // running: without this update (which they cannot contain) every path below is unchanged.
  setHandler(
    expireTopupUpdate,
    async (e: TopupExpiry) => {
      deciding = true;
      try {
        await finishTopup({ topupId: input.topupId, status: 'expired', decidedBy: e.by, note: e.note });
        setStatus('expired');
        return state;
      } finally {
        deciding = false;
      }
    },
    {
      validator: (_e: TopupExpiry) => {
        if (deciding) throw ApplicationFailure.nonRetryable('A decision on this top-up is in progress', 'CONFLICT');
        if (!open()) throw ApplicationFailure.nonRetryable(`This top-up is already ${state.status}`, 'CONFLICT');
        if (payment !== undefined) {
          throw ApplicationFailure.nonRetryable('The gateway has reported a payment; it is being settled', 'CONFLICT');
        }
      },
    },
  );

  setHandler(paymentLinkUpdate, async () => {
    await condition(() => state.paymentUrl !== null || !open() || input.closedAs !== undefined);
    return state;
  });

  // The first payment reported while the order waits decides it; every other one is settled at the end.
  setHandler(gatewayPaymentSignal, (e: GatewayPaymentEvent) => {
    if (payment === undefined && input.closedAs === undefined && open() && !deciding) payment = e;
    else laterPayments.push(e);
  });

  /** Credits a captured payment or records its refund (alerting operations); a failure fails an open order. */
  const settle = async (e: GatewayPaymentEvent) => {
    const settled = await settleGatewayPayment({
      topupId: input.topupId,
      userId: input.userId,
      amountPaise: input.amountPaise,
      payment: e,
      statusBefore: state.status,
    });
    if (settled.action === 'credited') {
      state.failureReason = null;
      if (state.status !== 'completed') setStatus('completed');
    } else if (open()) {
      state.failureReason = settled.detail;
      setStatus('failed');
    }
    if (settled.action === 'refund_due' && input.alertEmail) {
      await startNotifications({
        idPrefix: `notify-${input.topupId}-refund-${e.paymentId}`,
        messages: [
          {
            channel: 'email',
            to: input.alertEmail,
            subject: `Tijori: refund gateway payment ${e.paymentId}`,
            body: [
              `The gateway captured payment ${e.paymentId} (order ${e.orderId}, ${e.amountPaise} paise) for top-up ${input.topupId},`,
              `which is ${state.status}; it was not credited: ${settled.detail}.`,
              'Refund it at the gateway (docs/RUNBOOK.md, section 2e).',
            ].join('\n'),
          },
        ],
      });
    }
  };

  if (input.closedAs !== undefined) {
    // Started together with the signal of the payment to settle: nothing else to wait for.
    await condition(() => laterPayments.length > 0);
  } else if (input.method === 'bank_transfer') {
    const decided = await condition(() => !open() && !deciding, `${input.approvalTtlSeconds} seconds`);
    if (!decided) {
      // An approval that began just before the deadline finishes first; then the deadline wins.
      await condition(() => !deciding);
      if (open()) {
        await finishTopup({ topupId: input.topupId, status: 'expired', note: 'no decision in time' });
        setStatus('expired');
      }
    }
  } else {
    // An order the gateway cannot take within the payment period could not be paid in time anyway.
    const { createGatewayOrder } = proxyActivities<Activities>({
      ...activityOptions,
      scheduleToCloseTimeout: `${input.paymentTtlSeconds} seconds`,
    });
    try {
      const order = await createGatewayOrder({ topupId: input.topupId, amountPaise: input.amountPaise });
      state.paymentUrl = order.paymentUrl;
    } catch (err) {
      const refused =
        err instanceof ActivityFailure &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === 'GATEWAY_REJECTED';
      state.failureReason = refused
        ? 'the payment gateway refused the order'
        : 'the payment gateway could not be reached';
      await finishTopup({ topupId: input.topupId, status: 'failed', failureReason: state.failureReason });
      setStatus('failed');
      await condition(allHandlersFinished);
      throw err;
    }
    const paid = await condition(() => payment !== undefined || !open(), `${input.paymentTtlSeconds} seconds`);
    if (!open()) {
      // expired by operations
    } else if (!paid) {
      await finishTopup({ topupId: input.topupId, status: 'expired', note: 'not paid in time' });
      setStatus('expired');
    } else if (patched(SETTLE_EVERY_GATEWAY_PAYMENT)) {
      await settle(payment!);
    } else if (payment!.outcome === 'success' && payment!.amountPaise === input.amountPaise) {
      try {
        await creditTopup({
          topupId: input.topupId,
          userId: input.userId,
          amountPaise: input.amountPaise,
          source: 'platform',
          decidedBy: null,
        });
        setStatus('completed');
      } catch (err) {
        // Paid but not creditable (e.g. over the wallet's KYC cap): the money is at the gateway
        // and support must refund it there; the failure reason says so.
        if (!(err instanceof ActivityFailure)) throw err;
        state.failureReason = `paid, but the wallet could not be credited (${(err.cause as ApplicationFailure | undefined)?.type ?? 'error'}); refund at the gateway`;
        await finishTopup({ topupId: input.topupId, status: 'failed', failureReason: state.failureReason });
        setStatus('failed');
      }
    } else {
      state.failureReason =
        payment!.outcome === 'success' ? 'paid amount differs from the order amount' : 'payment failed at the gateway';
      await finishTopup({ topupId: input.topupId, status: 'failed', failureReason: state.failureReason });
      setStatus('failed');
    }
  }
  // Checked after the last await, so a payment signalled while the workflow was finishing is
  // settled by it rather than dropped.
  for (;;) {
    await condition(allHandlersFinished);
    const late = laterPayments.shift();
    if (late === undefined) break;
    if (patched(SETTLE_EVERY_GATEWAY_PAYMENT)) await settle(late);
  }
  return state;
}
