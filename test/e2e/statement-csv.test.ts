import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger, walletAccountId, type TransferInput } from '../../src/ledger';
import { ApiClient, adminKey } from '../support/api';
import { separateDatabase, uniq } from '../support/db';
import { addUser } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

// The statement CSV once stopped at 100,000 rows without a word. 150,000 entries must all come
// out, in order, streamed (chunked, never built whole in memory).

const ROWS = 150_000;
const BATCH = 5_000;

let stack: TestStack;
let own: Awaited<ReturnType<typeof separateDatabase>>;
let db: Db;
let ledger: Ledger;
let admin: ApiClient;

before(async () => {
  // Its own database: 150,000 more ledger entries (and their events) would slow every later
  // test's ledger verify and event dispatch on the shared one.
  own = await separateDatabase();
  db = own.db;
  stack = await startStack({ env: { DATABASE_URL: own.url } });
  ledger = new Ledger(db, { maxBatchTransfers: BATCH });
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  await stack.stop();
  await ledger.close();
  await own.drop();
});

/** Reads a streamed body line by line without keeping it, calling `onLine` for each. */
async function eachLine(res: Response, onLine: (line: string, n: number) => void): Promise<number> {
  const decoder = new TextDecoder();
  let rest = '';
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const l of lines) onLine(l, n++);
  }
  assert.equal(rest, '', 'the CSV ends with a line break');
  return n;
}

test(`a ${ROWS.toLocaleString('en')}-row statement streams completely as CSV`, { timeout: 120_000 }, async () => {
  const ret = await addUser(admin, 'retailer');
  const source = `test:${uniq()}:source`;
  await ledger.createAccounts([{ id: source, kind: 'test_source' }]);
  const started = Date.now();
  const batches: TransferInput[][] = [];
  for (let b = 0; b < ROWS / BATCH; b++) {
    batches.push(
      Array.from({ length: BATCH }, (_, i) => ({
        id: `${source}:${b * BATCH + i}`,
        debitAccountId: source,
        creditAccountId: walletAccountId(ret.id),
        amount: 1n,
        kind: 'test_credit',
        exemptFromCap: true,
      })),
    );
  }
  // Postings are serialised by the ledger's chain head anyway: one batch after another.
  for (const batch of batches) {
    const results = await ledger.createTransfers(batch);
    assert.ok(
      results.every((r) => r.status === 'created'),
      'every transfer created',
    );
  }
  // What autovacuum does after a bulk load. With statistics this stale the planner expects a few
  // hundred entries and reads all 150,000 for each page (~130 ms a page instead of ~8 ms).
  await db.raw('analyze ledger_entries, ledger_transfers');
  const seeded = Date.now() - started;

  const res = await fetch(`${stack.api.url}/v1/wallets/${ret.id}/statement`, {
    headers: { Authorization: `Bearer ${ret.key}`, Accept: 'text/csv' },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
  assert.equal(res.headers.get('content-length'), null, 'streamed, not sent as one body');
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  const seen = new Set<string>();
  let header = '';
  let firstBad: string | undefined;
  const lines = await eachLine(res, (line, n) => {
    if (n === 0) {
      header = line;
      return;
    }
    const [id, , kind, amount, direction, balanceAfter] = line.split(',');
    // Newest first: row n leaves the balance at ROWS - n + 1 paise.
    if (balanceAfter !== String(ROWS - n + 1) || kind !== 'test_credit' || amount !== '1' || direction !== 'credit')
      firstBad ??= `row ${n}: ${line}`;
    seen.add(id!);
  });
  assert.equal(header, 'transferId,at,kind,amount,direction,balanceAfter,reference');
  assert.equal(firstBad, undefined);
  assert.equal(lines, ROWS + 1, 'the header and every row');
  assert.equal(seen.size, ROWS, 'each transfer once');
  console.log(`seeded ${ROWS} transfers in ${seeded} ms; streamed in ${Date.now() - started - seeded} ms`);
});
