import { seqCursor } from '../db/cursor';
import type { Db } from '../db/knex';
import { AppError, notFound } from '../errors';
import { eventTypes } from '../events/types';
import { toJson } from '../http/json';
import { newId } from '../ids';
import type { PiiVault } from '../security/pii';
import type { Caller } from '../users/types';
import { newWebhookSecret } from './signature';
import { assertSafeUrl, resolveAll, UnsafeUrlError, type Resolve, type UrlPolicy } from './ssrf';

/** The event types an endpoint may subscribe to (`ping` is sent on request only). */
export const subscribableEventTypes = eventTypes.filter(
  (t): t is Exclude<(typeof eventTypes)[number], 'ping'> => t !== 'ping',
);
export type SubscribableEventType = (typeof subscribableEventTypes)[number];

/** An owner may keep this many endpoints (deleted ones not counted). */
export const MAX_ENDPOINTS_PER_OWNER = 10;

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  status: 'active' | 'disabled';
  createdAt: Date;
  failingSince: Date | null;
  disabledAt: Date | null;
}

export interface DeliveryAttempt {
  /** The delivery (one per endpoint and event); its attempts share it. */
  id: string;
  eventId: string;
  type: string;
  attempt: number;
  status: 'pending' | 'delivered' | 'failed';
  responseStatus: number | null;
  error: string | null;
  at: Date;
}

interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  status: 'active' | 'disabled';
  created_at: Date;
  failing_since: Date | null;
  disabled_at: Date | null;
}

const endpointColumns = ['id', 'url', 'events', 'status', 'created_at', 'failing_since', 'disabled_at'];

function toEndpoint(r: EndpointRow): WebhookEndpoint {
  return {
    id: r.id,
    url: r.url,
    events: r.events,
    status: r.status,
    createdAt: r.created_at,
    failingSince: r.failing_since,
    disabledAt: r.disabled_at,
  };
}

/** The field name the vault authenticates webhook secrets under. */
export const SECRET_FIELD = 'webhook_secret';

/**
 * The API side of webhooks: endpoints belong to the user who registers them and only that user
 * sees, lists or removes them (anyone else gets 404). Deliveries are made by the worker
 * (WebhookConsumer); a test ping is a delivery row the next sendDue picks up.
 */
export class WebhookService {
  private readonly resolve: Resolve;

  constructor(private readonly deps: { db: Db; vault: PiiVault; policy: UrlPolicy; resolve?: Resolve }) {
    this.resolve = deps.resolve ?? resolveAll;
  }

  async create(
    caller: Caller,
    input: { url: string; events?: SubscribableEventType[] },
  ): Promise<WebhookEndpoint & { secret: string }> {
    try {
      await assertSafeUrl(input.url, this.deps.policy, this.resolve);
    } catch (err) {
      if (!(err instanceof UnsafeUrlError)) throw err;
      throw new AppError('VALIDATION_FAILED', 'Invalid body', {
        fields: [{ path: 'body.url', message: err.message }],
      });
    }
    const events = input.events ? [...new Set(input.events)] : [...subscribableEventTypes];
    const secret = newWebhookSecret();
    const { db } = this.deps;
    const row = await db.transaction(async (trx) => {
      // One owner's concurrent registrations are counted one at a time.
      await trx.raw('select id from users where id = ? for update', [caller.id]);
      const [{ n }] = (await trx('webhook_endpoints')
        .where({ owner_id: caller.id })
        .whereNull('deleted_at')
        .count<{ n: string }[]>('* as n')) as [{ n: string }];
      if (Number(n) >= MAX_ENDPOINTS_PER_OWNER) {
        throw new AppError('LIMIT_EXCEEDED', `At most ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints per user`);
      }
      const [inserted] = (await trx('webhook_endpoints')
        .insert({
          id: newId('whe'),
          owner_id: caller.id,
          url: input.url,
          events,
          secret_ciphertext: this.deps.vault.encrypt(SECRET_FIELD, secret),
        })
        .returning(endpointColumns)) as [EndpointRow];
      return inserted;
    });
    return { ...toEndpoint(row), secret };
  }

  async list(caller: Caller): Promise<WebhookEndpoint[]> {
    const rows = (await this.deps
      .db('webhook_endpoints')
      .where({ owner_id: caller.id })
      .whereNull('deleted_at')
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .select(endpointColumns)) as EndpointRow[];
    return rows.map(toEndpoint);
  }

  private async owned(caller: Caller, id: string): Promise<WebhookEndpoint> {
    const row = (await this.deps
      .db('webhook_endpoints')
      .where({ id, owner_id: caller.id })
      .whereNull('deleted_at')
      .first(endpointColumns)) as EndpointRow | undefined;
    if (!row) throw notFound('Webhook endpoint');
    return toEndpoint(row);
  }

  /** Stops all deliveries to it; its delivery history stays listed for support. */
  async remove(caller: Caller, id: string): Promise<void> {
    const n = await this.deps
      .db('webhook_endpoints')
      .where({ id, owner_id: caller.id })
      .whereNull('deleted_at')
      .update({ deleted_at: this.deps.db.fn.now(), updated_at: this.deps.db.fn.now(), alert_pending: false });
    if (n === 0) throw notFound('Webhook endpoint');
  }

  /** Every attempt, newest first. */
  async attempts(
    caller: Caller,
    id: string,
    page: { cursor?: string; limit: number },
  ): Promise<{ items: DeliveryAttempt[]; nextCursor: string | null }> {
    await this.owned(caller, id);
    const q = this.deps
      .db('webhook_attempts')
      .where({ endpoint_id: id })
      .orderBy('seq', 'desc')
      .limit(page.limit + 1)
      .select('seq', 'delivery_id', 'event_id', 'type', 'attempt', 'status', 'response_status', 'error', 'at');
    if (page.cursor !== undefined) {
      const after = seqCursor.decode(page.cursor);
      if (after === undefined) {
        throw new AppError('VALIDATION_FAILED', 'Invalid cursor', {
          fields: [{ path: 'query.cursor', message: 'not a cursor of this list' }],
        });
      }
      q.where('seq', '<', after.toString());
    }
    const rows = (await q) as Array<{
      seq: bigint;
      delivery_id: string;
      event_id: string;
      type: string;
      attempt: number;
      status: DeliveryAttempt['status'];
      response_status: number | null;
      error: string | null;
      at: Date;
    }>;
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((r) => ({
        id: r.delivery_id,
        eventId: r.event_id,
        type: r.type,
        attempt: r.attempt,
        status: r.status,
        responseStatus: r.response_status,
        error: r.error,
        at: r.at,
      })),
      nextCursor: more && last ? seqCursor.encode(last.seq) : null,
    };
  }

  /** Queues a `ping` event for the endpoint (sent even while it is disabled: that is how to test a fix). */
  async ping(caller: Caller, id: string): Promise<{ eventId: string }> {
    const endpoint = await this.owned(caller, id);
    const eventId = newId('evt');
    const body = toJson({
      id: eventId,
      type: 'ping',
      createdAt: new Date().toISOString(),
      data: { endpointId: endpoint.id, url: endpoint.url },
    });
    await this.deps.db('webhook_deliveries').insert({
      id: newId('whd'),
      endpoint_id: endpoint.id,
      event_id: eventId,
      type: 'ping',
      body,
    });
    return { eventId };
  }
}
