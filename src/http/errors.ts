import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AppError, errorTable, type ErrorCode } from '../errors';

export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

export function validationDetails(err: ZodError, where: string) {
  return {
    fields: err.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })),
  };
}

/** Maps domain errors that carry a contract code (e.g. the ledger's) to API errors. */
export type DomainErrorMapper = (err: unknown) => AppError | undefined;

export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    res.status(404).json(errorBody('NOT_FOUND', `No route ${req.method} ${req.path}`));
  };
}

/** A 5xx leaves its error on `res.err`, for the request's log line (requestLogging). */
export function errorHandler(mappers: DomainErrorMapper[] = []): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const mapped = toApiError(err, mappers);
    const { status } = errorTable[mapped.code];
    if (status >= 500) res.err = err instanceof Error ? err : new Error(String(err));
    if (res.headersSent) return;
    if (mapped.code === 'UNAVAILABLE' && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', '1');
    res.status(status).json(errorBody(mapped.code, mapped.message, mapped.details));
  };
}

function toApiError(err: unknown, mappers: DomainErrorMapper[]): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError)
    return new AppError('VALIDATION_FAILED', 'Invalid request', validationDetails(err, 'body'));
  const e = err as { type?: string; status?: number; message?: string };
  // body-parser errors: malformed JSON, too large, wrong charset — all the client's fault.
  const body = (message: string) => ({ fields: [{ path: 'body', message }] });
  if (e?.type === 'entity.parse.failed') {
    return new AppError('VALIDATION_FAILED', 'Request body is not valid JSON', body('not valid JSON'));
  }
  if (e?.type === 'entity.too.large') {
    return new AppError('VALIDATION_FAILED', 'Request body is too large', body('too large'));
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const message = e.message ?? 'Bad request';
    // body-parser's errors carry a type; other 4xx errors are not about the body.
    return new AppError('VALIDATION_FAILED', message, e.type ? body(message) : undefined);
  }
  for (const map of mappers) {
    const m = map(err);
    if (m) return m;
  }
  return new AppError('INTERNAL', 'Internal error');
}
