import type { MoneyEvent } from '../../src/events/types';

/** A row of the events table as tests read it back. */
export interface StoredEvent {
  seq: bigint;
  id: string;
  type: MoneyEvent['type'];
  user_id: string;
  data: Record<string, unknown>;
  created_at: Date;
}

export const asMoneyEvent = (e: StoredEvent): MoneyEvent => ({
  seq: e.seq,
  id: e.id,
  type: e.type,
  userId: e.user_id,
  createdAt: e.created_at,
  data: e.data,
});
