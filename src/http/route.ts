import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors';
import { validationDetails } from './errors';
import { assertStorable } from './input-guard';
import type { HttpMethod, OpenApiRegistry, ResponseSpec } from './openapi';

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: HttpMethod;
  path: string;
  summary: string;
  tags: string[];
  auth?: boolean;
  body?: B;
  query?: Q;
  params?: P;
  headers?: z.ZodType;
  responses: Record<number, ResponseSpec>;
}

export interface Parsed<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  body: z.output<B>;
  query: z.output<Q>;
  params: z.output<P>;
  req: Request;
  res: Response;
}

function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> {
  if (!schema) return undefined as z.output<T>;
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new AppError('VALIDATION_FAILED', `Invalid ${where}`, validationDetails(r.error, where));
  }
  return r.data;
}

/**
 * Defines a route whose inputs are validated with zod before the handler runs (bad input is a 400
 * that changes nothing) and whose schemas feed the OpenAPI document.
 */
export function defineRoute<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType>(
  router: Router,
  registry: OpenApiRegistry,
  spec: RouteSpec<B, Q, P>,
  handler: (input: Parsed<B, Q, P>) => Promise<unknown> | unknown,
): void {
  registry.add({ ...spec, auth: spec.auth ?? true });
  router[spec.method](spec.path, async (req, res) => {
    // Body and query were checked as they were parsed (src/http/app.ts); parameters exist from here.
    assertStorable({ params: req.params });
    const input = {
      body: parse(spec.body, req.body ?? {}, 'body'),
      query: parse(spec.query, req.query, 'query'),
      params: parse(spec.params, req.params, 'params'),
      req,
      res,
    };
    await handler(input);
  });
}
