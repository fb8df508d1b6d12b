import { Context } from '@temporalio/activity';
import type { Db } from '../src/db/knex';
import { EventFeed } from '../src/events/feed';
import type { EventConsumer } from '../src/events/types';

export interface EventDeps {
  db: Db;
  /** Everyone who gets the event feed (SMS/email alerts, webhooks), in the order they are fed. */
  eventConsumers: readonly EventConsumer[];
}

export interface DispatchInput {
  /** How long this activity keeps dispatching before it returns to its workflow. */
  forMs: number;
  /** The pause after a pass that filled none of its batches. */
  idleMs: number;
  batchSize: number;
}

export interface DispatchTotals {
  passes: number;
  events: number;
  sent: number;
  failed: number;
}

export function createEventActivities({ db, eventConsumers }: EventDeps) {
  const feed = new EventFeed(db);
  return {
    /**
     * The dispatcher's work for a while: derive events from new ledger entries, hand the next
     * batch to every consumer, let each send what is due; again, pausing when idle. One long
     * activity instead of one per batch: the Temporal work is a few events a minute, whatever the
     * number of recharges, alerts and webhooks. Every step is idempotent, so a worker dying
     * anywhere in a pass only repeats it.
     */
    async runEventDispatcher(input: DispatchInput): Promise<DispatchTotals> {
      const ctx = Context.current();
      const totals: DispatchTotals = { passes: 0, events: 0, sent: 0, failed: 0 };
      // Sends can be slow (a provider timing out): the heartbeat must not wait for them.
      const beat = setInterval(() => ctx.heartbeat(totals), 1000);
      try {
        const until = Date.now() + input.forMs;
        while (Date.now() < until && !ctx.cancellationSignal.aborted) {
          const pass = await feed.pass(eventConsumers, input.batchSize);
          totals.passes++;
          totals.events += pass.handed;
          totals.sent += pass.sent;
          totals.failed += pass.failed;
          if (!pass.full) await ctx.sleep(input.idleMs);
        }
        return totals;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
