import { ApiError } from './error';
import type { operations } from './schema';

/** An operation of the OpenAPI document, by its operationId. */
export type Op = keyof operations;

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type Responses<O extends Op> = operations[O]['responses'];

/** The JSON an operation answers on success. */
export type Reply<O extends Op> = Json<Responses<O>[Extract<keyof Responses<O>, 200 | 201 | 202>]>;
/** The JSON body an operation takes. */
export type Body<O extends Op> = operations[O] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
/** The query an operation takes. */
export type Query<O extends Op> = operations[O]['parameters'] extends { query?: infer Q } ? NonNullable<Q> : never;

export { ApiError };

interface Session {
  accessToken: string;
  refreshToken: string;
  /** ms since the epoch */
  expiresAt: number;
}

const storageKey = 'tijori.session';
const listeners = new Set<() => void>();

function load(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

let session = load();

export function hasSession(): boolean {
  return session !== undefined;
}

/** The signed-in user's id: the `sub` of the access token. */
export function sessionUserId(): string | undefined {
  if (!session) return undefined;
  try {
    const payload = session.accessToken.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    return (JSON.parse(json) as { sub?: string }).sub;
  } catch {
    return undefined;
  }
}

/** Called whenever the session starts or ends. */
export function onSessionChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function setSession(pair: { accessToken: string; refreshToken: string; expiresIn: number }): void {
  session = {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: Date.now() + pair.expiresIn * 1000,
  };
  sessionStorage.setItem(storageKey, JSON.stringify(session));
  listeners.forEach((fn) => fn());
}

export function clearSession(): void {
  session = undefined;
  sessionStorage.removeItem(storageKey);
  listeners.forEach((fn) => fn());
}

let refreshing: Promise<boolean> | undefined;

/** Spends the refresh token once, however many requests found the access token stale. */
function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const spent = session?.refreshToken;
    if (!spent) return false;
    try {
      const res = await fetch('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refreshToken: spent }),
      });
      if (!res.ok) {
        clearSession();
        return false;
      }
      setSession((await res.json()) as Reply<'postAuthRefresh'>);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** Ask for CSV: the answer is a Blob. */
  csv?: boolean;
}

function urlOf(path: string, query?: CallOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.message) {
      return new ApiError(res.status, body.error.code ?? 'ERROR', body.error.message, body.error.details);
    }
  } catch {
    // not JSON: a proxy's page, say; the status line is all there is
  }
  return new ApiError(res.status, 'HTTP_' + res.status, `The server answered ${res.status} ${res.statusText}`.trim());
}

/**
 * Calls the API as the signed-in user: the bearer token, refreshed when it is about to lapse or
 * the API calls it stale; errors become ApiError with the API's message.
 */
export async function call<O extends Op>(method: string, path: string, opts: CallOptions = {}): Promise<Reply<O>> {
  if (session && session.expiresAt - Date.now() < 15_000) await refresh();
  const send = () =>
    fetch(urlOf(path, opts.query), {
      method,
      headers: {
        Accept: opts.csv ? 'text/csv' : 'application/json',
        ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(session ? { Authorization: `Bearer ${session.accessToken}` } : {}),
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  let res: Response;
  try {
    res = await send();
    if (res.status === 401 && session && (await refresh())) res = await send();
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check the connection and try again.');
  }
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && session) clearSession();
    throw err;
  }
  if (res.status === 204) return undefined as Reply<O>;
  if (opts.csv) return (await res.blob()) as Reply<O>;
  return (await res.json()) as Reply<O>;
}

/** A fresh Idempotency-Key: one per thing the user means to do, reused if it is retried. */
export function newKey(): string {
  return crypto.randomUUID();
}
