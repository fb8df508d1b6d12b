import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { AppError, type ErrorCode } from '../errors';
import { validationDetails } from './errors';
import { assertStorable } from './input-guard';
import { operationIdOf, type HttpMethod, type OpenApiRegistry, type ResponseSpec } from './openapi';

type Input = z.ZodObject | undefined;

export interface RouteSpec<B extends z.ZodType, Q extends Input, P extends Input, H extends Input> {
  method: HttpMethod;
  path: string;
  summary: string;
  tags: string[];
  /** Derived from method and path unless given. */
  operationId?: string;
  auth?: boolean;
  body?: B;
  query?: Q;
  params?: P;
  /** Request headers by their lower-case names (req.headers), e.g. idempotencyHeaders. */
  headers?: H;
  /** Success answers, and error statuses whose description says more than their codes. */
  responses: Record<number, ResponseSpec>;
  /**
   * The contract errors the handler can answer with (its services' and guards'); 400, for
   * authenticated routes 401 and 429, and for routes with path parameters 404 are added (see
   * errorsOf). The OpenAPI document lists exactly these statuses, so an answer outside them is a
   * contract bug (test/e2e/schemathesis.test.ts finds it).
   */
  errors?: readonly ErrorCode[];
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface Parsed<B extends z.ZodType, Q extends Input, P extends Input, H extends Input> {
  body: z.output<B>;
  query: Out<Q>;
  params: Out<P>;
  headers: Out<H>;
  req: Request;
  res: Response;
}

function parse<T extends z.ZodType | undefined>(schema: T, value: unknown, where: string): Out<T> {
  if (!schema) return undefined as Out<T>;
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new AppError('VALIDATION_FAILED', `Invalid ${where}`, validationDetails(r.error, where));
  }
  return r.data as Out<T>;
}

/**
 * Defines a route whose inputs (path parameters, query, headers, body) are validated with zod
 * before the handler runs (bad input is a 400 that changes nothing) and whose schemas feed the
 * OpenAPI document.
 */
export function defineRoute<
  B extends z.ZodType,
  Q extends Input = undefined,
  P extends Input = undefined,
  H extends Input = undefined,
>(
  router: Router,
  registry: OpenApiRegistry,
  spec: RouteSpec<B, Q, P, H>,
  handler: (input: Parsed<B, Q, P, H>) => Promise<unknown> | unknown,
): void {
  registry.add({
    ...spec,
    operationId: spec.operationId ?? operationIdOf(spec.method, spec.path),
    auth: spec.auth ?? true,
    errors: spec.errors ?? [],
  });
  router[spec.method](spec.path, async (req, res) => {
    // Body and query were checked as they were parsed (src/http/app.ts); parameters exist from here.
    assertStorable({ params: req.params });
    const input = {
      body: parse(spec.body, req.body ?? {}, 'body') as z.output<B>,
      query: parse(spec.query as Q, req.query, 'query'),
      params: parse(spec.params as P, req.params, 'params'),
      headers: parse(spec.headers as H, req.headers, 'headers'),
      req,
      res,
    };
    await handler(input);
  });
}

/**
 * What the OpenAPI document says of a path, enforced before any route runs: the methods of the
 * most specific templates that match it (as OpenAPI matches concrete paths before templated ones,
 * POST /v1/kyc/pan is not GET /v1/kyc/{userId}); OPTIONS answers them in `Allow`, and any other
 * method is 405 METHOD_NOT_ALLOWED with `Allow` (RFC 9110) instead of the 404 of an unknown path.
 */
export function methodsOfPaths(registry: OpenApiRegistry): RequestHandler {
  const templates = [...registry.methodsByPath()].map(([path, methods]) => ({
    // Express matches paths case-insensitively and with an optional trailing slash.
    pattern: new RegExp(`^${path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`, 'i'),
    params: (path.match(/:/g) ?? []).length,
    methods: methods.map((m) => m.toUpperCase()),
  }));
  return (req, res, next) => {
    const matching = templates.filter((t) => t.pattern.test(req.path));
    if (matching.length === 0) {
      next();
      return;
    }
    const fewest = Math.min(...matching.map((t) => t.params));
    const methods = new Set(matching.filter((t) => t.params === fewest).flatMap((t) => t.methods));
    if (methods.has(req.method === 'HEAD' ? 'GET' : req.method)) {
      next();
      return;
    }
    if (methods.has('GET')) methods.add('HEAD');
    const allow = [...methods].join(', ');
    res.setHeader('Allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new AppError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; allowed: ${allow}`);
  };
}
