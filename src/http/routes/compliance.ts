import { z } from 'zod';
import { candidateColumns, monthPattern } from '../../compliance/aml';
import { ComplianceReports, type AmlReport } from '../../compliance/reports';
import { AppError } from '../../errors';
import { streamCsv, wantsCsv } from '../../reports/csv';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { idSchema, limitSchema } from '../schemas';

const money = z.number().int().describe('integer paise');

const monthQuery = z.object({
  month: z
    .string()
    .regex(monthPattern, 'a month, YYYY-MM (an IST calendar month)')
    .meta({ pattern: monthPattern.source }),
  format: z.enum(['json', 'csv']).optional().describe('csv: the same as Accept: text/csv'),
});

const candidateSchema = z.object({
  userId: z.string(),
  name: z.string(),
  role: z.string(),
  reason: z.enum(['single', 'cumulative']),
  direction: z
    .enum(['debit', 'credit'])
    .nullable()
    .describe('cumulative: the direction whose monthly total reached the threshold; null for single'),
  amount: money.describe('single: the largest qualifying transfer; cumulative: the month total of that direction'),
  transfers: z.array(
    z.object({
      transferId: z.string(),
      at: z.string(),
      kind: z.string(),
      direction: z.enum(['debit', 'credit']),
      amount: money,
      reference: z.string().nullable(),
    }),
  ),
});

const reportSchema = z.object({
  month: z.string(),
  thresholds: z.object({ single: money, cumulative: money }),
  items: z.array(candidateSchema),
});

const hitSchema = z.object({
  id: z.string(),
  userId: z.string(),
  list: z.string(),
  entryName: z.string(),
  matched: z.string(),
  score: z.number(),
  status: z.enum(['open', 'cleared']),
  createdAt: z.string(),
  clearedAt: z.string().nullable(),
  clearedBy: z.string().nullable(),
  note: z.string().nullable(),
});

const tags = ['compliance'];
const csvNote =
  '; `Accept: text/csv` or `format=csv` streams it as CSV, one line per qualifying transfer: ' +
  candidateColumns.join(',');

export function complianceRoutes(ctx: RouteContext): void {
  amlRoutes(ctx);
  sanctionsRoutes(ctx);
}

/** STR and CTR candidates of an IST month (src/compliance/aml.ts). */
function amlRoutes({ router, registry, deps }: RouteContext): void {
  const reports: Array<[AmlReport, string, string]> = [
    [
      'str',
      '/v1/compliance/str-candidates',
      'STR candidates of an IST month: users with one wallet transfer at or above the single threshold, or month debits or credits at or above the cumulative one, with the qualifying transfers (admin, support)',
    ],
    [
      'ctr',
      '/v1/compliance/ctr',
      'CTR candidates of an IST month: the same thresholds over cash-like credits only (completed bank-transfer top-ups) (admin, support)',
    ],
  ];
  for (const [report, path, summary] of reports) {
    defineRoute(
      router,
      registry,
      {
        method: 'get',
        path,
        summary: summary + csvNote,
        tags,
        query: monthQuery,
        responses: { 200: { description: 'The candidates', schema: reportSchema, alternatives: ['text/csv'] } },
        errors: ['FORBIDDEN'],
      },
      async ({ query, req, res }) => {
        ComplianceReports.assertOfficer(callerOf(res));
        const service = deps.compliance.reports;
        if (query.format === 'csv' || (query.format === undefined && wantsCsv(req))) {
          await streamCsv(
            res,
            `${report}-candidates-${query.month}.csv`,
            candidateColumns,
            service.rows(report, query.month),
          );
          return;
        }
        res.json({
          month: query.month,
          thresholds: { single: service.thresholds.singlePaise, cumulative: service.thresholds.cumulativePaise },
          items: (await service.candidates(report, query.month)).map((c) => ({
            ...c,
            transfers: c.transfers.map((t) => ({ ...t, at: t.at.toISOString() })),
          })),
        });
      },
    );
  }
}

/** The watchlist reload and the hits it and user creation recorded. */
function sanctionsRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/compliance/watchlist/reload',
      summary:
        'Replace the sanctions watchlist with WATCHLIST_FILE and screen every user against it: a new hit puts an active user in pending_review (admin; audited)',
      tags,
      responses: {
        200: {
          description: 'The load',
          schema: z.object({
            loadId: z.string(),
            source: z.string(),
            sha256: z.string(),
            entries: z.number().int(),
            screened: z.number().int(),
            newHits: z.number().int(),
            frozen: z.array(z.string()).describe('users this reload put in pending_review'),
          }),
        },
        409: {
          description: 'No watchlist file is configured, or it cannot be read or has bad lines (nothing changed)',
        },
      },
      errors: ['FORBIDDEN', 'CONFLICT'],
    },
    async ({ req, res }) => {
      const caller = callerOf(res);
      if (caller.role !== 'admin') throw new AppError('FORBIDDEN', 'Only an admin reloads the watchlist');
      res.json(
        await deps.compliance.sanctions.reload({ caller, requestId: res.locals.requestId as string, ip: req.ip }),
      );
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/compliance/sanctions-hits',
      summary: 'Sanctions hits, newest first (admin, support)',
      tags,
      query: z.object({
        status: z.enum(['open', 'cleared']).optional(),
        userId: idSchema.optional(),
        limit: limitSchema,
      }),
      responses: { 200: { description: 'Hits', schema: z.object({ items: z.array(hitSchema) }) } },
      errors: ['FORBIDDEN'],
    },
    async ({ query, res }) => {
      ComplianceReports.assertOfficer(callerOf(res));
      const items = await deps.compliance.sanctions.hits(query);
      res.json({
        items: items.map((h) => ({
          ...h,
          createdAt: h.createdAt.toISOString(),
          clearedAt: h.clearedAt?.toISOString() ?? null,
        })),
      });
    },
  );
}
