import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { DeliveryCounts, EventConsumer, MoneyEvent } from '../events/types';
import { toJson } from '../http/json';
import { newId } from '../ids';
import type { Logger } from '../logger';
import type { EmailSender } from '../notify/email';
import type { SmsSender } from '../notify/sms';
import { piiVaultFromConfig, type PiiVault } from '../security/pii';
import { postWebhook, type PostResult } from './send';
import { SECRET_FIELD } from './service';
import type { UrlPolicy } from './ssrf';

export interface WebhookSettings {
  /** How long one POST may take. */
  timeoutMs: number;
  /** The first retry's delay; each later one doubles, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** An endpoint failing without a success for this long is disabled and its owner alerted. */
  disableAfterSeconds: number;
  /** A delivery still failing this long after its event is given up (status failed). */
  giveUpAfterSeconds: number;
}

export interface WebhookConsumerDeps {
  db: Db;
  vault: PiiVault;
  policy: UrlPolicy;
  settings: WebhookSettings;
  sms: SmsSender;
  email: EmailSender;
  log: Logger;
  /** POSTs at once per sendDue. */
  concurrency?: number;
}

interface Claimed {
  id: string;
  endpoint_id: string;
  event_id: string;
  type: string;
  body: string;
  attempt: number;
}

/** The delay before retry number `attempt` (1 = the first retry), with ±20 % jitter. */
export function retryDelayMs(attempt: number, s: Pick<WebhookSettings, 'retryBaseMs' | 'retryMaxMs'>): number {
  const base = Math.min(s.retryMaxMs, s.retryBaseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** The body every attempt of an event's delivery sends, byte for byte. */
export function webhookBody(e: MoneyEvent): string {
  return toJson({ id: e.id, type: e.type, createdAt: e.createdAt.toISOString(), data: e.data });
}

/**
 * Webhooks as a consumer of the event feed. enqueue fans each event out to the active endpoints
 * of its user and that user's uplines that subscribed to its type (one delivery row per endpoint
 * and event, idempotently). sendDue claims due deliveries with FOR UPDATE SKIP LOCKED and leases
 * them (next_attempt_at moved past the POST's timeout), so workers running it at once never send
 * the same delivery together, and one that crashed mid-send leaves it due again after the lease.
 */
export class WebhookConsumer implements EventConsumer {
  readonly name = 'webhooks';

  constructor(private readonly deps: WebhookConsumerDeps) {}

  async enqueue(events: MoneyEvent[]): Promise<void> {
    const wanted = events.filter((e) => e.type !== 'ping');
    if (wanted.length === 0) return;
    // An endpoint's owner is on the event user's path (root … user): the user or an upline.
    await this.deps.db.raw(
      `insert into webhook_deliveries (id, endpoint_id, event_id, type, body)
       select 'whd_' || replace(gen_random_uuid()::text, '-', ''), e.id, ev.id, ev.type, ev.body
         from unnest(?::text[], ?::text[], ?::text[], ?::text[]) as ev(id, type, user_id, body)
         join users u on u.id = ev.user_id
         join webhook_endpoints e on e.owner_id = any(string_to_array(u.path, '/'))
        where e.status = 'active' and e.deleted_at is null and ev.type = any(e.events)
       on conflict (endpoint_id, event_id) do nothing`,
      [wanted.map((e) => e.id), wanted.map((e) => e.type), wanted.map((e) => e.userId), wanted.map(webhookBody)],
    );
  }

  async sendDue(limit: number): Promise<DeliveryCounts> {
    const claimed = await this.claim(limit);
    const secrets = await this.endpointsOf(claimed);
    let sent = 0;
    let failed = 0;
    const queue = [...claimed];
    const lanes = Array.from({ length: Math.min(this.deps.concurrency ?? 16, queue.length) }, async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        const endpoint = secrets.get(d.endpoint_id);
        const result: PostResult = endpoint
          ? await postWebhook(
              { url: endpoint.url, secret: endpoint.secret, body: d.body, eventId: d.event_id },
              { policy: this.deps.policy, timeoutMs: this.deps.settings.timeoutMs },
            )
          : { error: 'endpoint secret unreadable', durationMs: 0 };
        const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
        try {
          if (ok) await this.recordSuccess(d, result);
          else await this.recordFailure(d, result);
        } catch (err) {
          // The lease brings it back; a duplicate is what at-least-once allows.
          this.deps.log.error({ err, deliveryId: d.id }, 'webhook: could not record an attempt');
        }
        if (ok) sent++;
        else failed++;
      }
    });
    await Promise.all(lanes);
    await this.sendPendingAlerts();
    return { sent, failed };
  }

  private async claim(limit: number): Promise<Claimed[]> {
    const leaseMs = this.deps.settings.timeoutMs + 30_000;
    const { rows } = (await this.deps.db.raw(
      `with due as (
         select d.id from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
          where d.status = 'pending' and d.next_attempt_at <= now() and e.deleted_at is null
            and (e.status = 'active' or d.type = 'ping')
          order by d.next_attempt_at
          limit ?
          for update of d skip locked)
       update webhook_deliveries d
          set next_attempt_at = now() + make_interval(secs => ?), updated_at = now()
         from due where d.id = due.id
       returning d.id, d.endpoint_id, d.event_id, d.type, d.body, d.attempt`,
      [limit, leaseMs / 1000],
    )) as { rows: Claimed[] };
    return rows;
  }

  private async endpointsOf(claimed: Claimed[]): Promise<Map<string, { url: string; secret: string }>> {
    const ids = [...new Set(claimed.map((d) => d.endpoint_id))];
    const rows = ids.length
      ? ((await this.deps
          .db('webhook_endpoints')
          .whereIn('id', ids)
          .select('id', 'url', 'secret_ciphertext')) as Array<{
          id: string;
          url: string;
          secret_ciphertext: string;
        }>)
      : [];
    const out = new Map<string, { url: string; secret: string }>();
    for (const r of rows) {
      try {
        out.set(r.id, { url: r.url, secret: this.deps.vault.decrypt(SECRET_FIELD, r.secret_ciphertext) });
      } catch (err) {
        this.deps.log.error({ err, endpointId: r.id }, 'webhook: cannot decrypt the endpoint secret');
      }
    }
    return out;
  }

  /**
   * The delivery, its attempt and the endpoint's recovery in one statement (one round trip on the
   * busiest path: every event an endpoint wants ends here); nothing when another sender recorded it.
   */
  private async recordSuccess(d: Claimed, r: PostResult): Promise<void> {
    await this.deps.db.raw(
      `with delivered as (
         update webhook_deliveries
            set status = 'delivered', attempt = attempt + 1, response_status = ?, delivered_at = now(), updated_at = now()
          where id = ? and status = 'pending'
         returning id, endpoint_id, event_id, type, attempt),
       attempt as (
         insert into webhook_attempts (id, delivery_id, endpoint_id, event_id, type, attempt, status, response_status, duration_ms)
         select ?, id, endpoint_id, event_id, type, attempt, 'delivered', ?, ? from delivered)
       update webhook_endpoints set failing_since = null, updated_at = now()
        where id = (select endpoint_id from delivered) and failing_since is not null`,
      [r.status!, d.id, newId('wha'), r.status!, r.durationMs],
    );
  }

  /**
   * Schedules the next attempt, or ends the delivery: given up after giveUpAfterSeconds, or the
   * endpoint disabled (with every delivery still pending to it) after failing for
   * disableAfterSeconds without one success.
   */
  private async recordFailure(d: Claimed, r: PostResult): Promise<void> {
    const s = this.deps.settings;
    await this.deps.db.transaction(async (trx) => {
      const [endpoint] = (
        await trx.raw(
          `select status, deleted_at,
                  failing_since is not null and failing_since <= now() - make_interval(secs => ?) as expired
             from webhook_endpoints where id = ? for update`,
          [s.disableAfterSeconds, d.endpoint_id],
        )
      ).rows as [{ status: string; deleted_at: Date | null; expired: boolean }];
      const [delivery] = (
        await trx.raw(
          `select attempt + 1 as attempt, created_at <= now() - make_interval(secs => ?) as too_old
             from webhook_deliveries where id = ? and status = 'pending' for update`,
          [s.giveUpAfterSeconds, d.id],
        )
      ).rows as [{ attempt: number; too_old: boolean } | undefined];
      if (!delivery) return;
      const disable = endpoint.status === 'active' && endpoint.deleted_at === null && endpoint.expired;
      const final = disable || delivery.too_old || endpoint.status !== 'active' || endpoint.deleted_at !== null;
      await trx('webhook_deliveries')
        .where({ id: d.id })
        .update({
          attempt: delivery.attempt,
          status: final ? 'failed' : 'pending',
          response_status: r.status ?? null,
          next_attempt_at: trx.raw('now() + make_interval(secs => ?)', [retryDelayMs(delivery.attempt, s) / 1000]),
          updated_at: trx.fn.now(),
        });
      await this.insertAttempt(trx, d, delivery.attempt, final ? 'failed' : 'pending', r);
      if (disable) {
        await trx('webhook_endpoints').where({ id: d.endpoint_id }).update({
          status: 'disabled',
          disabled_at: trx.fn.now(),
          alert_pending: true,
          updated_at: trx.fn.now(),
        });
        await trx('webhook_deliveries')
          .where({ endpoint_id: d.endpoint_id, status: 'pending' })
          .update({ status: 'failed', updated_at: trx.fn.now() });
        this.deps.log.warn({ endpointId: d.endpoint_id }, 'webhook endpoint disabled after failing for too long');
      } else if (endpoint.status === 'active') {
        await trx('webhook_endpoints')
          .where({ id: d.endpoint_id })
          .whereNull('failing_since')
          .update({ failing_since: trx.fn.now(), updated_at: trx.fn.now() });
      }
    });
  }

  private async insertAttempt(
    trx: Db,
    d: Claimed,
    attempt: number,
    status: 'pending' | 'delivered' | 'failed',
    r: PostResult,
  ): Promise<void> {
    await trx('webhook_attempts').insert({
      id: newId('wha'),
      delivery_id: d.id,
      endpoint_id: d.endpoint_id,
      event_id: d.event_id,
      type: d.type,
      attempt,
      status,
      response_status: r.status ?? null,
      error: r.error?.slice(0, 500) ?? null,
      duration_ms: r.durationMs,
    });
  }

  /** Tells each disabled endpoint's owner, by SMS and email; a send that fails is tried again next time. */
  private async sendPendingAlerts(): Promise<void> {
    const { rows } = (await this.deps.db.raw(
      `update webhook_endpoints e set alert_pending = false
         from (select id from webhook_endpoints where alert_pending limit 20 for update skip locked) a, users u
        where e.id = a.id and u.id = e.owner_id
       returning e.id, e.url, u.mobile, u.email`,
    )) as { rows: Array<{ id: string; url: string; mobile: string | null; email: string | null }> };
    for (const r of rows) {
      const text = `Tijori: webhook endpoint ${r.id} (${r.url}) failed for too long and was disabled. Fix it, then register it again.`;
      try {
        if (r.mobile) await this.deps.sms.send(`+91${r.mobile}`, text);
        if (r.email) await this.deps.email.send(r.email, 'Tijori webhook endpoint disabled', text);
      } catch (err) {
        this.deps.log.warn({ err, endpointId: r.id }, 'webhook: could not alert the owner; will retry');
        await this.deps.db('webhook_endpoints').where({ id: r.id }).update({ alert_pending: true });
      }
    }
  }
}

/** The consumer as the worker runs it, from the configuration. */
export function createWebhookConsumer(
  config: Config,
  deps: Pick<WebhookConsumerDeps, 'db' | 'sms' | 'email' | 'log'>,
): WebhookConsumer {
  return new WebhookConsumer({
    ...deps,
    vault: piiVaultFromConfig(config.pii),
    policy: { production: config.env === 'production' },
    settings: config.webhooks,
  });
}
