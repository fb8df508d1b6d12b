import type { Db } from './knex';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type Claim =
  { kind: 'owner' } | { kind: 'replay'; response: StoredResponse } | { kind: 'mismatch' } | { kind: 'busy' };

const LEASE = "interval '60 seconds'";

/**
 * Durable idempotency keys. The first request to claim (scope, key) runs; a repeat with the same
 * request hash gets the stored response; a different hash is a mismatch. Concurrent duplicates
 * wait for the first to finish. A claim abandoned by a crashed process is taken over when its
 * lease ends — safe because every effect behind a key is itself idempotent (ledger transfer ids
 * and workflow ids are derived from the key).
 */
export class IdempotencyStore {
  constructor(private readonly db: Db) {}

  async claim(scope: string, key: string, requestHash: string, waitMs = 30_000): Promise<Claim> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const inserted = await this.db.raw(
        `insert into idempotency_keys (scope, key, request_hash, locked_until)
         values (?, ?, ?, now() + ${LEASE}) on conflict (scope, key) do nothing returning scope`,
        [scope, key, requestHash],
      );
      if (inserted.rows.length) return { kind: 'owner' };
      const row = (await this.db('idempotency_keys').where({ scope, key }).first()) as
        | { request_hash: string; response_status: number | null; response_body: unknown; locked_until: Date }
        | undefined;
      if (!row) continue; // gone between our insert and select: try again
      if (row.request_hash !== requestHash) return { kind: 'mismatch' };
      if (row.response_status !== null) {
        return { kind: 'replay', response: { status: row.response_status, body: row.response_body } };
      }
      const taken = await this.db.raw(
        `update idempotency_keys set locked_until = now() + ${LEASE}
         where scope = ? and key = ? and response_status is null and locked_until < now() returning scope`,
        [scope, key],
      );
      if (taken.rows.length) return { kind: 'owner' };
      if (Date.now() > deadline) return { kind: 'busy' };
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.db('idempotency_keys')
      .where({ scope, key })
      .update({
        response_status: response.status,
        response_body: JSON.stringify(response.body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
        completed_at: this.db.fn.now(),
      });
  }

  /**
   * Ends the lease of a claim whose request failed without a definite answer, so a retry with the
   * same body runs again at once. The request hash stays: another body under the key is still a
   * mismatch, whatever happened before.
   */
  async release(scope: string, key: string): Promise<void> {
    await this.db('idempotency_keys')
      .where({ scope, key })
      .whereNull('response_status')
      .update({ locked_until: this.db.raw("now() - interval '1 second'") });
  }
}
