import type { Db } from '../db/knex';
import type { EmailSender } from '../notify/email';
import type { SmsSender } from '../notify/sms';
import type { DeliveryCounts, EventConsumer, MoneyEvent } from './types';

/** Seed: an alert on every debit and credit above ₹1. */
const MIN_ALERT_PAISE = 100;
/** Retried for at least a day, then given up (and left in the table for support). */
const GIVE_UP_AFTER_MS = 25 * 3600_000;
/**
 * A claimed message is retried after this if its sender died before recording the outcome: longer
 * than a send can take (the SMS client gives up after 10 s, SMTP after at most 40 s).
 */
const CLAIM_LEASE_SECONDS = 45;
const SEND_CONCURRENCY = 8;

export interface AlertMessage {
  /** Unique with the channel: an event id, or the caller's key for an operations alert. */
  key: string;
  channel: 'sms' | 'email';
  userId: string | null;
  recipient: string;
  subject?: string;
  body: string;
}

interface DeliveryRow {
  id: bigint;
  channel: 'sms' | 'email';
  recipient: string;
  subject: string | null;
  body: string;
  attempts: number;
  created_at: Date;
}

export function rupees(paise: number | bigint): string {
  const p = BigInt(paise);
  const sign = p < 0n ? '-' : '';
  const a = p < 0n ? -p : p;
  return `${sign}₹${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

/** What a ledger kind is called in an alert. */
const kindLabels: Record<string, string> = {
  topup: 'top-up',
  topup_by_upline: 'top-up by your upline',
  downline_credit: 'transfer',
  upline_pull: 'pull-back',
  recharge_capture: 'recharge',
  commission: 'commission',
  recharge_capture_reversal: 'recharge refund',
  commission_clawback: 'commission reversal',
  due_collected: 'due collected',
};

const labelOf = (kind: string) => kindLabels[kind] ?? kind.replace(/_/g, ' ');

/** The alert text of an event, or null when the event is not alerted by SMS/email. */
export function alertText(e: MoneyEvent): { subject: string; body: string } | null {
  const d = e.data;
  switch (e.type) {
    case 'wallet.debited':
    case 'wallet.credited': {
      if (Number(d.amount) <= MIN_ALERT_PAISE) return null;
      const verb = e.type === 'wallet.debited' ? 'debited from' : 'credited to';
      const ref = typeof d.reference === 'string' ? d.reference : String(d.transferId);
      return {
        subject: `Tijori: ${rupees(Number(d.amount))} ${e.type === 'wallet.debited' ? 'debited' : 'credited'}`,
        body: `Tijori: ${rupees(Number(d.amount))} ${verb} your wallet (${labelOf(String(d.kind))}). Balance ${rupees(Number(d.balanceAfter))}. Ref ${ref}.`,
      };
    }
    case 'wallet.low_balance':
      return {
        subject: `Tijori: low balance ${rupees(Number(d.balance))}`,
        body: `Tijori: your wallet balance ${rupees(Number(d.balance))} is below your alert level of ${rupees(Number(d.threshold))}. Top up to keep recharging.`,
      };
    case 'recharge.succeeded':
    case 'recharge.failed':
    case 'recharge.reversed': {
      const what = `Recharge of ${rupees(Number(d.amount))} for ${String(d.operator)} ${String(d.subscriber)}`;
      const text =
        e.type === 'recharge.succeeded'
          ? `${what} succeeded. Ref ${typeof d.operatorRef === 'string' ? d.operatorRef : String(d.id)}.`
          : e.type === 'recharge.reversed'
            ? `${what} was reversed by the operator; the amount is back in your wallet. Ref ${String(d.id)}.`
            : `${what} failed. Ref ${String(d.id)}.`;
      return { subject: `Recharge ${String(d.status)}`, body: text };
    }
    default:
      return null;
  }
}

const backoffMs = (attempts: number) => Math.min(2000 * 2 ** Math.max(0, attempts - 1), 10 * 60_000);

/**
 * SMS and email alerts (the `alerts` consumer): an SMS to the user's mobile for every alerted
 * event, and an email too unless the user turned email off (PUT /v1/me/alerts). The recipient is
 * the event's own user, looked up by the event's userId, never anyone else.
 */
export class AlertConsumer implements EventConsumer {
  readonly name = 'alerts';

  constructor(
    private readonly db: Db,
    private readonly senders: { sms: SmsSender; email: EmailSender },
  ) {}

  async enqueue(events: MoneyEvent[]): Promise<void> {
    const alerted = events.flatMap((e) => {
      const text = alertText(e);
      return text ? [{ e, text }] : [];
    });
    if (!alerted.length) return;
    const userIds = [...new Set(alerted.map((a) => a.e.userId))];
    const users = (await this.db('users as u')
      .leftJoin('user_alert_settings as s', 's.user_id', 'u.id')
      .whereIn('u.id', userIds)
      .select('u.id', 'u.mobile', 'u.email', 's.email as email_on')) as Array<{
      id: string;
      mobile: string | null;
      email: string | null;
      email_on: boolean | null;
    }>;
    const byId = new Map(users.map((u) => [u.id, u]));
    const messages: AlertMessage[] = [];
    for (const { e, text } of alerted) {
      const u = byId.get(e.userId);
      if (!u) continue;
      if (u.mobile) messages.push({ key: e.id, channel: 'sms', userId: u.id, recipient: u.mobile, body: text.body });
      if (u.email && u.email_on !== false) {
        messages.push({ key: e.id, channel: 'email', userId: u.id, recipient: u.email, ...text });
      }
    }
    await queueAlerts(this.db, messages);
  }

  async sendDue(limit: number): Promise<DeliveryCounts> {
    let sent = 0;
    let failed = 0;
    // A few at a time, each claimed only when its sending starts: a sender that dies leaves at
    // most one wave behind, retried when its lease ends.
    while (sent + failed < limit) {
      const wave = await this.claim(Math.min(SEND_CONCURRENCY, limit - sent - failed));
      if (!wave.length) break;
      for (const ok of await Promise.all(wave.map((row) => this.sendOne(row)))) {
        if (ok) sent++;
        else failed++;
      }
    }
    return { sent, failed };
  }

  /** Claims due messages with a lease, in one statement: two senders never take the same one. */
  private async claim(n: number): Promise<DeliveryRow[]> {
    const claimed = (await this.db.raw(
      `update alert_deliveries d
          set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ?)
        where d.id in (select id from alert_deliveries
                        where status = 'pending' and next_attempt_at <= now()
                        order by next_attempt_at, id limit ? for update skip locked)
        returning d.id, d.channel, d.recipient, d.subject, d.body, d.attempts, d.created_at`,
      [CLAIM_LEASE_SECONDS, n],
    )) as { rows: DeliveryRow[] };
    return claimed.rows;
  }

  private async sendOne(row: DeliveryRow): Promise<boolean> {
    try {
      const providerId =
        row.channel === 'sms'
          ? (await this.senders.sms.send(row.recipient, row.body)).sid
          : (await this.senders.email.send(row.recipient, row.subject ?? 'Tijori', row.body)).messageId;
      await this.db('alert_deliveries')
        .where({ id: row.id })
        .update({ status: 'sent', sent_at: this.db.fn.now(), provider_id: providerId, last_error: null });
      return true;
    } catch (err) {
      const expired = Date.now() - row.created_at.getTime() > GIVE_UP_AFTER_MS;
      await this.db('alert_deliveries')
        .where({ id: row.id })
        .update({
          status: expired ? 'failed' : 'pending',
          next_attempt_at: new Date(Date.now() + backoffMs(row.attempts)),
          last_error: String((err as Error).message ?? err).slice(0, 500),
        });
      return false;
    }
  }
}

/** Queues messages for the alerts sender, once per key and channel. */
export async function queueAlerts(db: Db, messages: AlertMessage[]): Promise<void> {
  if (!messages.length) return;
  await db('alert_deliveries')
    .insert(
      messages.map((m) => ({
        key: m.key,
        channel: m.channel,
        user_id: m.userId,
        recipient: m.recipient,
        subject: m.subject ?? null,
        body: m.body,
      })),
    )
    .onConflict(['key', 'channel'])
    .ignore();
}
