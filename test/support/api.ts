import { randomInt, randomUUID } from 'node:crypto';
import type { Db } from '../../src/db/knex';
import { newId } from '../../src/ids';
import { generateApiKey, hashApiKey, keyPrefix } from '../../src/users/api-keys';
import { bootstrapAdmin } from '../../src/users/bootstrap';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small HTTP client for tests: JSON in and out, a bearer key, optional Idempotency-Key. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly key?: string,
  ) {}

  as(key: string): ApiClient {
    return new ApiClient(this.baseUrl, key);
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(this.key ? { Authorization: `Bearer ${this.key}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && text ? (JSON.parse(text) as T) : (text as unknown as T);
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get<T = Record<string, unknown>>(path: string, headers?: Record<string, string>) {
    return this.call<T>('GET', path, undefined, headers);
  }

  post<T = Record<string, unknown>>(path: string, body: unknown = {}, idempotencyKey?: string | false) {
    const key = idempotencyKey === false ? undefined : (idempotencyKey ?? randomUUID());
    return this.call<T>('POST', path, body, key ? { 'Idempotency-Key': key } : {});
  }
}

/** A fresh API key for the (bootstrapped) admin; every test file gets its own. */
export async function adminKey(db: Db): Promise<string> {
  const { adminId } = await bootstrapAdmin(db, generateApiKey());
  const key = generateApiKey();
  await db('api_keys').insert({
    id: newId('key'),
    user_id: adminId,
    name: 'test',
    key_hash: hashApiKey(key),
    key_prefix: keyPrefix(key),
  });
  return key;
}

/** A random valid mobile number (tests share one database; 1 in 10^9 collides). */
export function uniqueMobile(): string {
  return `6${String(randomInt(0, 1e9)).padStart(9, '0')}`;
}
