import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { IdempotencyStore } from '../db/idempotency';
import { AppError, contractErrorOf, errorTable } from '../errors';
import { errorBody } from './errors';

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

/**
 * Runs a money-moving handler at most once per (caller, Idempotency-Key), the key as the route's
 * headers schema (idempotencyHeaders) validated it. A repeat with the same body gets the first
 * response and status code; a different body is 409 IDEMPOTENCY_CONFLICT.
 * Business-rule failures (4xx) are part of the stored answer; unexpected failures are not, so a
 * retry after a 5xx runs again.
 */
export async function respondIdempotently(
  store: IdempotencyStore,
  scope: string,
  key: string,
  req: Request,
  res: Response,
  run: (key: string) => Promise<{ status: number; body: unknown }>,
): Promise<void> {
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
