import fs from 'node:fs';
import { createDb } from '../../src/db/knex';
import { AlertConsumer } from '../../src/events/alerts';
import { EventFeed } from '../../src/events/feed';

// The dispatcher's passes (EventFeed.pass, as activities/events.ts runs them, without Temporal) as
// a process of its own, to be SIGKILLed at any moment: the SMS "sent" are lines in SMS_SINK.
const db = createDb(process.env.DATABASE_URL!, 4);
const sink = process.env.SMS_SINK!;
const sms = {
  send: async (to: string, body: string) => {
    fs.appendFileSync(sink, `${JSON.stringify({ to, body })}\n`);
    return { sid: `SM${process.pid}` };
  },
};
const email = {
  send: async () => {
    throw new Error('no email in this test');
  },
  close: () => undefined,
};
const consumers = [new AlertConsumer(db, { sms, email })];
const feed = new EventFeed(db);
const batchSize = Number(process.env.BATCH_SIZE ?? 50);

async function main() {
  process.stdout.write('dispatching\n');
  for (;;) {
    if (!(await feed.pass(consumers, batchSize)).full) await new Promise((r) => setTimeout(r, 5));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
