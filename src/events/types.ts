/** The money events the dispatcher hands to every consumer (../../docs/ARCHITECTURE.md "Events"). */
export const eventTypes = [
  'recharge.succeeded',
  'recharge.failed',
  'recharge.reversed',
  'recharge.manual_review',
  'topup.completed',
  'topup.rejected',
  'transfer.completed',
  'wallet.debited',
  'wallet.credited',
  'wallet.low_balance',
  'ping',
] as const;

export type EventType = (typeof eventTypes)[number];

export interface MoneyEvent {
  /** Position in the feed: increases in the order events are handed out. */
  seq: bigint;
  /** `evt_…`, stable: the same event keeps its id on every redelivery. */
  id: string;
  type: EventType;
  /** Whose wallet or resource the event is about. */
  userId: string;
  createdAt: Date;
  /** The resource as the API returns it (wallet events: the ledger movement with the balance after). */
  data: Record<string, unknown>;
}

export interface DeliveryCounts {
  sent: number;
  failed: number;
}

/**
 * Something that delivers events to people or systems (SMS/email alerts, webhooks). The
 * dispatcher calls enqueue with each batch in feed order, at least once per event; enqueue must
 * fan the events into the consumer's own per-recipient delivery table idempotently (ON CONFLICT
 * DO NOTHING), so a batch replayed after a crash adds nothing. sendDue sends what is due, records
 * each attempt and schedules retries with backoff (at least 24 h); it never throws for a
 * recipient's failure.
 */
export interface EventConsumer {
  name: string;
  enqueue(events: MoneyEvent[]): Promise<void>;
  sendDue(limit: number): Promise<DeliveryCounts>;
}
