import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { IdempotencyStore } from '../db/idempotency';
import { AppError, contractErrorOf, errorTable } from '../errors';
import { errorBody } from './errors';

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII only');

export const idempotencyHeaders = z.object({ 'idempotency-key': idempotencyKeySchema });

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function requestHash(req: Request): string {
  return createHash('sha256')
    .update(`${req.method} ${req.baseUrl}${req.path}\n${JSON.stringify(canonical(req.body ?? {}))}`)
    .digest('hex');
}

export function requireIdempotencyKey(req: Request): string {
  const parsed = idempotencyKeySchema.safeParse(req.header('idempotency-key'));
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', 'Idempotency-Key header (1-128 printable characters) is required', {
      fields: [{ path: 'headers.idempotency-key', message: parsed.error.issues[0]?.message ?? 'required' }],
    });
  }
  return parsed.data;
}

/**
 * Runs a money-moving handler at most once per (caller, Idempotency-Key). A repeat with the same
 * body gets the first response and status code; a different body is 409 IDEMPOTENCY_CONFLICT.
 * Business-rule failures (4xx) are part of the stored answer; unexpected failures are not, so a
 * retry after a 5xx runs again.
 */
export async function respondIdempotently(
  store: IdempotencyStore,
  scope: string,
  req: Request,
  res: Response,
  run: (key: string) => Promise<{ status: number; body: unknown }>,
): Promise<void> {
  const key = requireIdempotencyKey(req);
  const claim = await store.claim(scope, key, requestHash(req));
  if (claim.kind === 'mismatch') {
    throw new AppError('IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was used with a different request body');
  }
  if (claim.kind === 'busy') {
    throw new AppError('CONFLICT', 'A request with this Idempotency-Key is still in progress; retry shortly');
  }
  if (claim.kind === 'replay') {
    res.setHeader('Idempotent-Replayed', 'true');
    res.status(claim.response.status).json(claim.response.body);
    return;
  }
  let response: { status: number; body: unknown };
  try {
    response = await run(key);
  } catch (err) {
    const known = contractErrorOf(err);
    if (known && errorTable[known.code].status < 500) {
      response = { status: errorTable[known.code].status, body: errorBody(known.code, known.message, known.details) };
    } else {
      await store.release(scope, key);
      throw err;
    }
  }
  await store.complete(scope, key, response);
  res.status(response.status).json(response.body);
}
