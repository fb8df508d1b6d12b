import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { errorTable, type ErrorCode } from '../errors';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** application/json unless said otherwise. */
  contentType?: string;
  /** Further media types the caller can ask for with Accept (e.g. text/csv), schema-less. */
  alternatives?: string[];
}

export interface RouteDoc {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  auth: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  params?: z.ZodObject;
  headers?: z.ZodObject;
  responses: Record<number, ResponseSpec>;
  /** The contract errors this route answers with, beyond those of every route (see errorsOf). */
  errors: readonly ErrorCode[];
}

/** `post /v1/users/:id/suspend` → `postUsersByIdSuspend`: unique, as (method, path) is. */
export function operationIdOf(method: HttpMethod, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s && s !== 'v1')
    .flatMap((s) => (s.startsWith(':') ? ['by', s.slice(1)] : s.split(/[-_.]/)));
  return [method, ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

/**
 * Every route can answer 400 (the input guard and the JSON parser refuse bad input before any
 * route's own schemas); a route behind authentication 401 and, per credential, 429; a route whose
 * path names something 404 (no such thing, or not in the caller's scope).
 */
export function errorsOf(r: Pick<RouteDoc, 'auth' | 'errors' | 'params'>): ErrorCode[] {
  const all: ErrorCode[] = [
    'VALIDATION_FAILED',
    ...(r.auth ? (['UNAUTHENTICATED', 'RATE_LIMITED'] as const) : []),
    ...(r.params ? (['NOT_FOUND'] as const) : []),
  ];
  for (const code of r.errors) if (!all.includes(code)) all.push(code);
  return all;
}

const errorDetails = z.record(z.string(), z.unknown()).meta({
  id: 'ErrorDetails',
  description: 'Per code: fields (each bad field, for VALIDATION_FAILED), reason, rule, attemptsLeft, …',
});

/** The contract's error body, its code one of those the response's status stands for here. */
function errorSchema(codes: ErrorCode[]) {
  return z.object({
    error: z.object({
      code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
      message: z.string().min(1),
      details: errorDetails.optional(),
    }),
  });
}

type Status = `${1 | 2 | 3 | 4 | 5}${string}`;

function responsesOf(r: RouteDoc): ZodOpenApiResponsesObject {
  const out: ZodOpenApiResponsesObject = {};
  for (const [status, spec] of Object.entries(r.responses)) {
    const type = spec.contentType ?? 'application/json';
    out[status as Status] = {
      description: spec.description,
      ...(spec.schema || spec.alternatives
        ? {
            content: {
              ...(spec.schema ? { [type]: { schema: spec.schema } } : {}),
              ...Object.fromEntries((spec.alternatives ?? []).map((t) => [t, { schema: { type: 'string' } }])),
            },
          }
        : {}),
    };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorsOf(r)) {
    const { status } = errorTable[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of byStatus) {
    const own = r.responses[status];
    out[String(status) as Status] = {
      description: own?.description ?? codes.join(', '),
      ...(status === 429 ? { headers: z.object({ 'Retry-After': z.string().regex(/^[0-9]+$/) }) } : {}),
      content: { 'application/json': { schema: own?.schema ?? errorSchema(codes) } },
    };
  }
  return out;
}

function operationOf(r: RouteDoc): ZodOpenApiOperationObject {
  return {
    operationId: r.operationId,
    summary: r.summary,
    tags: r.tags,
    security: r.auth ? [{ bearer: [] }] : [],
    requestParams: {
      ...(r.params ? { path: r.params } : {}),
      ...(r.query ? { query: r.query } : {}),
      ...(r.headers ? { header: r.headers } : {}),
    },
    // A request without a body is validated as `{}` (src/http/route.ts): required unless that passes.
    ...(r.body
      ? {
          requestBody: {
            required: !r.body.safeParse({}).success,
            content: { 'application/json': { schema: r.body } },
          },
        }
      : {}),
    responses: responsesOf(r),
  };
}

/** Express's `/v1/users/:id` as OpenAPI's `/v1/users/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Collects route docs as routes are defined, so the OpenAPI document is generated from the zod schemas. */
export class OpenApiRegistry {
  private readonly routes: RouteDoc[] = [];

  add(doc: RouteDoc): void {
    if (this.routes.some((r) => r.operationId === doc.operationId)) {
      throw new Error(`operationId ${doc.operationId} is defined twice`);
    }
    this.routes.push(doc);
  }

  /** The methods declared on each path, Express-style. */
  methodsByPath(): Map<string, HttpMethod[]> {
    const out = new Map<string, HttpMethod[]>();
    for (const r of this.routes) out.set(r.path, [...(out.get(r.path) ?? []), r.method]);
    return out;
  }

  document(info: { title: string; version: string; serverUrl: string }) {
    const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
    for (const r of this.routes) (paths[openApiPath(r.path)] ??= {})[r.method] = operationOf(r);
    return createDocument({
      openapi: '3.1.0',
      info: {
        title: info.title,
        version: info.version,
        description:
          'Every field, known or not, is refused (400) if it holds text PostgreSQL cannot store: NUL, or a ' +
          'UTF-16 surrogate without its pair; and so is JSON nested deeper than 32 levels. Errors are ' +
          '{error:{code,message,details?}}; each operation lists the codes it answers with. A method ' +
          'a path does not declare is 405 METHOD_NOT_ALLOWED with Allow.',
      },
      servers: [{ url: info.serverUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      paths,
    });
  }
}
