import { z } from 'zod';
import { requireStepUp } from '../../auth/step-up';
import type { StatementItem } from '../../ledger';
import { mapRows, streamCsv, wantsCsv } from '../../reports/csv';
import { callerOf, requireMoneyMover } from '../auth';
import type { RouteContext } from '../context';
import { respondIdempotently } from '../idempotency';
import { defineRoute } from '../route';
import {
  amountSchema,
  idempotencyHeaders,
  idSchema,
  isoTime,
  limitSchema,
  noteSchema,
  pageOf,
  statementCursorSchema,
  statementItemSchema,
  stepUpHeaders,
  transferSchema,
  userIdParams,
  walletSchema,
} from '../schemas';

function statementView(i: StatementItem) {
  return {
    transferId: i.transferId,
    at: i.at.toISOString(),
    kind: i.kind,
    amount: i.amount,
    direction: i.direction,
    balanceAfter: i.balanceAfter,
    reference: i.reference,
  };
}

const csvColumns = ['transferId', 'at', 'kind', 'amount', 'direction', 'balanceAfter', 'reference'] as const;

const tags = ['wallets'];

export function walletRoutes(ctx: RouteContext): void {
  walletReadRoutes(ctx);
  transferRoutes(ctx);
}

/** A wallet's balance and its statement (JSON pages or the whole range as CSV). */
function walletReadRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/wallets/:userId',
      summary: 'Wallet balance: balance (posted), held (pending holds), available = balance - held',
      tags,
      params: userIdParams,
      responses: { 200: { description: 'The wallet', schema: walletSchema } },
      errors: ['NOT_FOUND'],
    },
    async ({ params, res }) => {
      res.json(await deps.wallets.wallet(callerOf(res), params.userId));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/wallets/:userId/statement',
      summary: 'Statement with running balance, newest first; `Accept: text/csv` for CSV of the whole range',
      tags,
      params: userIdParams,
      query: z.object({
        from: isoTime.optional(),
        to: isoTime.optional(),
        cursor: statementCursorSchema,
        limit: limitSchema,
      }),
      responses: {
        200: { description: 'A page of entries', schema: pageOf(statementItemSchema), alternatives: ['text/csv'] },
      },
      errors: ['NOT_FOUND'],
    },
    async ({ params, query, req, res }) => {
      const caller = callerOf(res);
      if (wantsCsv(req)) {
        await streamCsv(
          res,
          `statement-${params.userId}.csv`,
          csvColumns,
          mapRows(deps.wallets.statementItems(caller, params.userId, query), statementView),
        );
        return;
      }
      const page = await deps.wallets.statement(caller, params.userId, query);
      res.json({ items: page.items.map(statementView), nextCursor: page.nextCursor });
    },
  );
}

/** Money moved between a user and its downline, idempotent and stepped up above the limit. */
function transferRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/transfers',
      summary: 'Move money between a user and its downline: credit down, or pull back up (admin, direct upline)',
      tags,
      headers: idempotencyHeaders.extend(stepUpHeaders.shape),
      body: z.object({ fromUserId: idSchema, toUserId: idSchema, amount: amountSchema, note: noteSchema.optional() }),
      responses: { 201: { description: 'Completed', schema: transferSchema } },
      errors: [
        'FORBIDDEN',
        'NOT_FOUND',
        'IDEMPOTENCY_CONFLICT',
        'CONFLICT',
        'INSUFFICIENT_FUNDS',
        'LIMIT_EXCEEDED',
        'USER_SUSPENDED',
        'KYC_REQUIRED',
        'STEP_UP_REQUIRED',
        'RISK_REJECTED',
      ],
    },
    async ({ body, headers, req, res }) => {
      const caller = callerOf(res);
      requireMoneyMover(caller);
      await requireStepUp(deps, caller, req, body.amount);
      const key = headers['idempotency-key'];
      await respondIdempotently(deps.idempotency, `transfer:${caller.id}`, key, req, res, async () => {
        const t = await deps.wallets.transfer(caller, body, key);
        return { status: 201, body: { ...t, createdAt: t.createdAt.toISOString() } };
      });
    },
  );
}
