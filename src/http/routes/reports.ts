import { z } from 'zod';
import { AppError } from '../../errors';
import { streamCsv, wantsCsv } from '../../reports/csv';
import { isCalendarDate, istDate } from '../../reports/period';
import { parseStatement, reconcile, statementPeriod, type Outcome } from '../../reports/reconciliation';
import { ReportService, summaryGroups } from '../../reports/service';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { idSchema } from '../schemas';

const dateSchema = z
  .string()
  .refine(isCalendarDate, 'a calendar date, YYYY-MM-DD (IST)')
  .meta({ format: 'date', pattern: '^(19[7-9][0-9]|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}$' });
const money = z.number().int().describe('integer paise');

const periodCheck = { path: ['from'], message: 'must not be after to' };
const fromNotAfterTo = (q: { from?: string; to?: string }) => !q.from || !q.to || q.from <= q.to;

/** An IST period of whole days, `from` and `to` both included. */
const periodQuery = z
  .object({ from: dateSchema, to: dateSchema, userId: idSchema.optional() })
  .refine(fromNotAfterTo, periodCheck);

const daybookSchema = z.object({
  userId: z.string(),
  date: z.string(),
  opening: money,
  credits: z.record(z.string(), money).describe('posted to the wallet by transfer kind'),
  debits: z.record(z.string(), money).describe('taken from the wallet by transfer kind'),
  totalCredits: money,
  totalDebits: money,
  closing: money,
  check: z.object({
    ok: z.boolean().describe('opening + credits - debits equals the closing balance the ledger recorded'),
    computedClosing: money,
  }),
});

const commissionItem = z.object({
  userId: z.string(),
  operator: z.string().nullable(),
  gross: money,
  tds: money,
  net: money,
  count: z.number().int(),
});
const commissionReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  items: z.array(commissionItem),
  totals: z.object({ gross: money, tds: money, net: money, count: z.number().int() }),
  byQuarter: z.array(
    z.object({ quarter: z.string().describe('e.g. FY2026-27 Q1'), gross: money, tds: money, net: money }),
  ),
});

const summaryItem = z.object({
  key: z.string(),
  count: z.number().int(),
  amount: money,
  successCount: z.number().int(),
  successAmount: money,
  successRate: z.number().nullable().describe('successes over finished recharges, 0 to 1'),
});

const outcomeSchema = z.object({
  line: z.number().int().nullable(),
  rechargeId: z.string(),
  field: z.enum(['amount', 'status', 'provider', 'duplicate']).nullable(),
  ourAmount: money.nullable(),
  theirAmount: money.nullable(),
  ourStatus: z.string().nullable(),
  theirStatus: z.string().nullable(),
  txnId: z.string().nullable(),
});
const reconciliationSchema = z.object({
  provider: z.string(),
  from: z.string(),
  to: z.string(),
  lines: z.number().int(),
  matched: z.number().int(),
  missingHere: z.array(outcomeSchema),
  missingThere: z.array(outcomeSchema),
  mismatched: z.array(outcomeSchema),
});

const commissionColumns = ['userId', 'operator', 'gross', 'tds', 'net', 'count'] as const;
const summaryColumns = ['key', 'count', 'amount', 'successCount', 'successAmount', 'successRate'] as const;
const outcomeColumns = [
  'outcome',
  'line',
  'rechargeId',
  'field',
  'ourAmount',
  'theirAmount',
  'ourStatus',
  'theirStatus',
  'txnId',
] as const;

async function* daybookRows(d: Awaited<ReturnType<ReportService['daybook']>>) {
  yield { section: 'opening', kind: '', amount: d.opening };
  for (const [kind, amount] of Object.entries(d.credits)) yield { section: 'credit', kind, amount };
  for (const [kind, amount] of Object.entries(d.debits)) yield { section: 'debit', kind, amount };
  yield { section: 'closing', kind: '', amount: d.closing };
  yield { section: 'check', kind: d.check.ok ? 'ok' : 'MISMATCH', amount: d.check.computedClosing };
}

const tags = ['reports'];
const csvNote = '; `Accept: text/csv` streams it as CSV';

export function reportRoutes(ctx: RouteContext): void {
  daybookRoutes(ctx);
  commissionReportRoutes(ctx);
  rechargeSummaryRoutes(ctx);
  providerReconciliationRoutes(ctx);
}

/** A wallet's day book over one IST day. */
function daybookRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/reports/daybook',
      summary: `Day book of a wallet over one IST day (default today, the caller's own)${csvNote}`,
      tags,
      query: z.object({ date: dateSchema.optional(), userId: idSchema.optional() }),
      responses: { 200: { description: 'The day book', schema: daybookSchema, alternatives: ['text/csv'] } },
      errors: ['NOT_FOUND'],
    },
    async ({ query, req, res }) => {
      const date = query.date ?? istDate(new Date());
      const d = await deps.reports.daybook(callerOf(res), { date, userId: query.userId });
      if (wantsCsv(req))
        await streamCsv(res, `daybook-${d.userId}-${date}.csv`, ['section', 'kind', 'amount'], daybookRows(d));
      else res.json(d);
    },
  );
}

/** Commissions earned in the downline over a period. */
function commissionReportRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/reports/commissions',
      summary: `Commissions earned in the caller's downline: gross, TDS withheld, net, by earner and operator, and by financial-year quarter${csvNote} (items only)`,
      tags,
      query: periodQuery,
      responses: { 200: { description: 'The report', schema: commissionReportSchema, alternatives: ['text/csv'] } },
      errors: ['NOT_FOUND'],
    },
    async ({ query, req, res }) => {
      const caller = callerOf(res);
      if (wantsCsv(req))
        await streamCsv(
          res,
          `commissions-${query.from}-${query.to}.csv`,
          commissionColumns,
          deps.reports.commissionRows(caller, query),
        );
      else res.json(await deps.reports.commissions(caller, query));
    },
  );
}

/** Recharges in the downline over a period, grouped. */
function rechargeSummaryRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/reports/recharges',
      summary: `Recharges in the caller's downline by operator, provider, status or user: counts, amounts, success rate${csvNote}`,
      tags,
      query: z
        .object({
          from: dateSchema,
          to: dateSchema,
          groupBy: z.enum(summaryGroups).default('operator'),
          userId: idSchema.optional(),
        })
        .refine(fromNotAfterTo, periodCheck),
      responses: {
        200: {
          description: 'The summary',
          schema: z.object({ items: z.array(summaryItem) }),
          alternatives: ['text/csv'],
        },
      },
      errors: ['NOT_FOUND'],
    },
    async ({ query, req, res }) => {
      const caller = callerOf(res);
      if (wantsCsv(req))
        await streamCsv(
          res,
          `recharges-${query.groupBy}-${query.from}-${query.to}.csv`,
          summaryColumns,
          deps.reports.rechargeSummaryRows(caller, query),
        );
      else res.json({ items: await deps.reports.rechargeSummary(caller, query) });
    },
  );
}

/** A provider's statement reconciled against our recharges routed to it. */
function providerReconciliationRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/reports/provider-reconciliation',
      summary:
        "A provider's statement (body: text/csv with clientRef, amount in rupees, status, optional date and txnId) against our recharges routed to it (admin)" +
        csvNote,
      tags,
      query: z
        .object({
          provider: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a provider name'),
          from: dateSchema.optional(),
          to: dateSchema.optional(),
        })
        .refine(fromNotAfterTo, periodCheck),
      responses: {
        200: {
          description: 'Each line matched, missing on either side, or mismatched',
          schema: reconciliationSchema,
          alternatives: ['text/csv'],
        },
      },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ query, req, res }) => {
      ReportService.assertAdmin(callerOf(res));
      if (!req.is(['text/csv', 'text/plain'])) {
        throw new AppError('VALIDATION_FAILED', 'The body must be the statement as text/csv', {
          fields: [{ path: 'body', message: 'Content-Type must be text/csv' }],
        });
      }
      if (!(await deps.reports.providerExists(query.provider))) {
        throw new AppError('NOT_FOUND', 'Provider not found');
      }
      const lines = await parseStatement(req);
      const period = statementPeriod(lines, query);
      const outcomes = reconcile(deps.reports.readDb, query.provider, lines, period);
      if (wantsCsv(req)) {
        await streamCsv(
          res,
          `reconciliation-${query.provider}-${period.from}-${period.to}.csv`,
          outcomeColumns,
          outcomes,
        );
        return;
      }
      const result = {
        provider: query.provider,
        ...period,
        lines: lines.length,
        matched: 0,
        missingHere: [] as Array<Omit<Outcome, 'outcome'>>,
        missingThere: [] as Array<Omit<Outcome, 'outcome'>>,
        mismatched: [] as Array<Omit<Outcome, 'outcome'>>,
      };
      for await (const { outcome, ...o } of outcomes) {
        if (outcome === 'matched') result.matched++;
        else if (outcome === 'missing_here') result.missingHere.push(o);
        else if (outcome === 'missing_there') result.missingThere.push(o);
        else result.mismatched.push(o);
      }
      res.json(result);
    },
  );
}
