import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
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
import type { TopupStatus } from '../src/topups/types';

const activityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;

const { creditTopup, finishTopup } = proxyActivities<Activities>(activityOptions);

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
 * Money moves only in `creditTopup`, whose ledger transfer id is the top-up's, so replays and
 * duplicate decisions or webhooks can never credit twice.
 */
export async function topupWorkflow(input: TopupWorkflowInput): Promise<TopupState> {
  const state: TopupState = {
    status: input.method === 'bank_transfer' ? 'pending_approval' : 'awaiting_payment',
    paymentUrl: null,
    failureReason: null,
  };
  let deciding = false;
  let payment: GatewayPaymentEvent | undefined;

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
            source: d.fundedBy === 'platform' ? 'platform' : { userId: d.by },
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
      validator: (_d: TopupDecision) => {
        if (input.method !== 'bank_transfer') {
          throw ApplicationFailure.nonRetryable('Gateway top-ups are settled by the gateway', 'CONFLICT');
        }
        if (deciding) throw ApplicationFailure.nonRetryable('A decision on this top-up is in progress', 'CONFLICT');
        if (!open()) throw ApplicationFailure.nonRetryable(`This top-up is already ${state.status}`, 'CONFLICT');
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
    await condition(() => state.paymentUrl !== null || !open());
    return state;
  });

  // Duplicate and late webhooks are harmless: only the first one for our order counts.
  setHandler(gatewayPaymentSignal, (e: GatewayPaymentEvent) => {
    if (payment === undefined && open() && !deciding) payment = e;
  });

  if (input.method === 'bank_transfer') {
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
  await condition(allHandlersFinished);
  return state;
}
