import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyRequests,
  canonicalJson,
  normalizeInput,
  type AccountState,
  type EngineContext,
  type NormalizedInput,
} from '../../../src/ledger/engine';
import { LedgerError, ledgerErrorFromJson } from '../../../src/ledger/errors';
import { expiryVoidId } from '../../../src/ledger/ledger';
import type { TransferInput, TransferResult } from '../../../src/ledger/types';

const NOW = new Date('2026-11-22T10:00:00.000Z');

function acc(id: string, over: Partial<AccountState> = {}): AccountState {
  return {
    id,
    normalSide: 'credit',
    debitsMustNotExceedCredits: false,
    creditsMustNotExceedDebits: false,
    cap: null,
    debitsPosted: 0n,
    creditsPosted: 0n,
    debitsPending: 0n,
    creditsPending: 0n,
    ...over,
  };
}

function ctx(now = NOW): EngineContext {
  const c: EngineContext = {
    now,
    accounts: new Map(),
    transfers: new Map(),
    resolutions: new Map(),
    reversals: new Map(),
  };
  for (const a of [
    acc('float', { normalSide: 'debit' }),
    acc('wallet', { debitsMustNotExceedCredits: true, creditsPosted: 1000n }),
    acc('capped', { debitsMustNotExceedCredits: true, cap: 500n }),
    acc('asset', { normalSide: 'debit', creditsMustNotExceedDebits: true, debitsPosted: 100n }),
    acc('provider'),
  ]) {
    c.accounts.set(a.id, a);
  }
  return c;
}

function norm(i: TransferInput): NormalizedInput | LedgerError {
  try {
    return normalizeInput(i);
  } catch (e) {
    return e as LedgerError;
  }
}
function run(c: EngineContext, ...reqs: TransferInput[][]) {
  return applyRequests(
    c,
    reqs.map((r) => r.map(norm)),
  );
}
function one(c: EngineContext, t: TransferInput): TransferResult {
  return run(c, [t]).results[0]![0]!;
}
function code(r: TransferResult): string {
  return r.status === 'failed' ? r.error.code : r.status;
}
const pay = (id: string, from: string, to: string, amount: bigint, extra: Partial<TransferInput> = {}): TransferInput =>
  ({ id, debitAccountId: from, creditAccountId: to, amount, kind: 'pay', ...extra }) as TransferInput;

describe('ledger engine (pure)', () => {
  test('posted transfer moves money and produces two entries with balances after', () => {
    const c = ctx();
    const out = run(c, [pay('t1', 'wallet', 'provider', 300n)]);
    assert.equal(code(out.results[0]![0]!), 'created');
    assert.equal(c.accounts.get('wallet')!.debitsPosted, 300n);
    assert.equal(c.accounts.get('provider')!.creditsPosted, 300n);
    assert.deepEqual(
      out.entries.map((e) => [e.accountId, e.side, e.postedAmount, e.pendingDelta, e.balanceAfter, e.heldAfter]),
      [
        ['wallet', 'debit', 300n, 0n, 700n, 0n],
        ['provider', 'credit', 300n, 0n, 300n, 0n],
      ],
    );
    assert.deepEqual([...out.touched].sort(), ['provider', 'wallet']);
  });

  test('debit-normal balances grow with debits', () => {
    const c = ctx();
    const out = run(c, [pay('t1', 'float', 'wallet', 50n)]);
    assert.equal(out.entries[0]!.balanceAfter, 50n);
  });

  test('insufficient funds counts holds; exact balance is allowed', () => {
    const c = ctx();
    assert.equal(code(one(c, pay('h', 'wallet', 'provider', 400n, { pending: true }))), 'created');
    const r = one(c, pay('t', 'wallet', 'provider', 601n));
    assert.equal(code(r), 'INSUFFICIENT_FUNDS');
    assert.equal(r.status === 'failed' && r.error.data.available, '600');
    assert.equal(code(one(c, pay('t2', 'wallet', 'provider', 600n))), 'created');
  });

  test('credits must not exceed debits', () => {
    const c = ctx();
    assert.equal(code(one(c, pay('t', 'provider', 'asset', 101n))), 'CREDITS_EXCEED_DEBITS');
    assert.equal(code(one(c, pay('t', 'provider', 'asset', 100n))), 'created');
  });

  test('balance cap includes incoming holds; debits below a cap still work', () => {
    const c = ctx();
    assert.equal(code(one(c, pay('a', 'float', 'capped', 400n))), 'created');
    assert.equal(code(one(c, pay('b', 'float', 'capped', 100n, { pending: true }))), 'created');
    const r = one(c, pay('c', 'float', 'capped', 1n));
    assert.equal(code(r), 'LIMIT_EXCEEDED');
    assert.equal(r.status === 'failed' && r.error.data.balanceAfter, '501');
    c.accounts.get('capped')!.cap = 10n;
    assert.equal(code(one(c, pay('d', 'capped', 'provider', 5n))), 'created');
  });

  test('exemptFromCap: a posted or pending transfer is not refused by a cap; other checks still apply', () => {
    const c = ctx();
    assert.equal(code(one(c, pay('a', 'float', 'capped', 400n))), 'created');
    assert.equal(code(one(c, pay('b', 'float', 'capped', 200n))), 'LIMIT_EXCEEDED');
    const r = one(c, pay('b', 'float', 'capped', 200n, { exemptFromCap: true }));
    assert.equal(code(r), 'created');
    assert.equal(r.status === 'created' && r.transfer.exemptFromCap, true);
    assert.equal(code(one(c, pay('h', 'float', 'capped', 50n, { pending: true, exemptFromCap: true }))), 'created');
    assert.equal(c.accounts.get('capped')!.creditsPosted + c.accounts.get('capped')!.creditsPending, 650n);
    // above its cap now: a non-exempt credit, even of 1, is still refused; a debit is fine
    assert.equal(code(one(c, pay('c', 'float', 'capped', 1n))), 'LIMIT_EXCEEDED');
    assert.equal(code(one(c, pay('d', 'capped', 'provider', 100n))), 'created');
    // the exemption waives the cap only
    assert.equal(code(one(c, pay('e', 'wallet', 'capped', 1001n, { exemptFromCap: true }))), 'INSUFFICIENT_FUNDS');
    // a debit-normal account's cap limits its debits; exempt transfers pass it too
    c.accounts.set('dcap', acc('dcap', { normalSide: 'debit', cap: 10n }));
    assert.equal(code(one(c, pay('f', 'dcap', 'provider', 11n))), 'LIMIT_EXCEEDED');
    assert.equal(code(one(c, pay('f', 'dcap', 'provider', 11n, { exemptFromCap: true }))), 'created');
  });

  test('exemptFromCap is refused on a post or void, and must be a boolean', () => {
    const c = ctx();
    one(c, pay('h', 'float', 'capped', 100n, { pending: true }));
    for (const input of [
      { id: 'p', post: true, pendingId: 'h', kind: 'x', exemptFromCap: true },
      { id: 'v', void: true, pendingId: 'h', exemptFromCap: true },
      pay('t', 'float', 'capped', 1n, { exemptFromCap: 'yes' as unknown as boolean }),
    ] as TransferInput[]) {
      const r = one(c, input);
      assert.equal(code(r), 'INVALID_TRANSFER');
      assert.equal(r.status === 'failed' && r.error.data.field, 'exemptFromCap');
    }
    assert.equal(code(one(c, pay('t', 'float', 'capped', 1n, { exemptFromCap: false }))), 'created');
    assert.equal(code(one(c, pay('t', 'float', 'capped', 1n))), 'exists');
  });

  test('exemptFromCap is part of the idempotency comparison', () => {
    const c = ctx();
    assert.equal(code(one(c, pay('t', 'float', 'capped', 600n, { exemptFromCap: true }))), 'created');
    assert.equal(code(one(c, pay('t', 'float', 'capped', 600n, { exemptFromCap: true }))), 'exists');
    const r = one(c, pay('t', 'float', 'capped', 600n));
    assert.equal(code(r), 'IDEMPOTENCY_CONFLICT');
    assert.equal(r.status === 'failed' && r.error.data.field, 'exemptFromCap');
    assert.equal(code(one(c, pay('u', 'float', 'wallet', 6n))), 'created');
    const r2 = one(c, pay('u', 'float', 'wallet', 6n, { exemptFromCap: true }));
    assert.equal(r2.status === 'failed' && r2.error.data.field, 'exemptFromCap');
  });

  test('entries record the cap in force on their account', () => {
    const c = ctx();
    const out = run(c, [pay('a', 'float', 'capped', 10n)], [pay('b', 'capped', 'wallet', 5n)]);
    assert.deepEqual(
      out.entries.map((e) => [e.accountId, e.cap]),
      [
        ['float', null],
        ['capped', 500n],
        ['capped', 500n],
        ['wallet', null],
      ],
    );
  });

  test('balancingDebit clamps to what the debit account has available, holds counted, down to 0', () => {
    const c = ctx();
    one(c, pay('h', 'wallet', 'provider', 400n, { pending: true }));
    const r = one(c, pay('b1', 'wallet', 'provider', 5000n, { balancingDebit: true }));
    assert.equal(code(r), 'created');
    assert.equal(r.status === 'created' && r.transfer.amount, 600n);
    assert.equal(r.status === 'created' && r.transfer.requestedAmount, 5000n);
    assert.equal(r.status === 'created' && r.transfer.balancingDebit, true);
    assert.deepEqual([c.accounts.get('wallet')!.debitsPosted, c.accounts.get('provider')!.creditsPosted], [600n, 600n]);
    // below the available balance: the bound is the amount
    one(c, pay('f', 'float', 'wallet', 1000n));
    const r2 = one(c, pay('b2', 'wallet', 'provider', 300n, { balancingDebit: true }));
    assert.equal(r2.status === 'created' && r2.transfer.amount, 300n);
    one(c, pay('b3', 'wallet', 'provider', 700n));
    // nothing left: a zero-amount transfer is recorded, with its two entries
    const out = run(c, [pay('b4', 'wallet', 'provider', 50n, { balancingDebit: true })]);
    assert.equal(code(out.results[0]![0]!), 'created');
    assert.equal(out.transfers[0]!.amount, 0n);
    assert.deepEqual(
      out.entries.map((e) => [e.accountId, e.postedAmount, e.pendingDelta, e.balanceAfter]),
      [
        ['wallet', 0n, 0n, 400n],
        ['provider', 0n, 0n, 1600n],
      ],
    );
    // an unflagged debit-normal account has no "available": TigerBeetle's formula gives 0
    const f = one(c, pay('b5', 'float', 'provider', 50n, { balancingDebit: true }));
    assert.equal(f.status === 'created' && f.transfer.amount, 0n);
  });

  test('balancingCredit clamps to what the credit account can take; both flags take the smaller', () => {
    const c = ctx();
    const r = one(c, pay('b1', 'provider', 'asset', 500n, { balancingCredit: true }));
    assert.equal(r.status === 'created' && r.transfer.amount, 100n);
    assert.equal(c.accounts.get('asset')!.creditsPosted, 100n);
    c.accounts.get('asset')!.debitsPosted = 1000n;
    one(c, pay('h', 'provider', 'asset', 100n, { pending: true }));
    // asset can take 1000 - 100 - 100 = 800; wallet has 1000
    const both = one(c, pay('b2', 'wallet', 'asset', 5000n, { balancingDebit: true, balancingCredit: true }));
    assert.equal(both.status === 'created' && both.transfer.amount, 800n);
    const both2 = one(c, pay('b3', 'wallet', 'asset', 5000n, { balancingDebit: true, balancingCredit: true }));
    assert.equal(both2.status === 'created' && both2.transfer.amount, 0n);
    c.accounts.get('asset')!.debitsPosted = 5000n;
    const both3 = one(c, pay('b4', 'wallet', 'asset', 5000n, { balancingDebit: true, balancingCredit: true }));
    assert.equal(both3.status === 'created' && both3.transfer.amount, 200n);
  });

  test('a balancing transfer still meets the checks of its other side and the cap', () => {
    const c = ctx();
    // balancingDebit only: the credit side is not clamped, and may refuse
    assert.equal(code(one(c, pay('b', 'wallet', 'asset', 500n, { balancingDebit: true }))), 'CREDITS_EXCEED_DEBITS');
    assert.equal(code(one(c, pay('b', 'wallet', 'capped', 501n, { balancingDebit: true }))), 'LIMIT_EXCEEDED');
    const ok = one(c, pay('b', 'wallet', 'capped', 501n, { balancingDebit: true, exemptFromCap: true }));
    assert.equal(ok.status === 'created' && ok.transfer.amount, 501n);
    // a zero-amount balancing transfer into an account above its cap grows nothing: not refused
    const z = one(c, pay('z', 'provider', 'capped', 5n, { balancingCredit: true }));
    assert.equal(code(z), 'created');
    assert.equal(z.status === 'created' && z.transfer.amount, 0n);
  });

  test('balancing replays: same input exists with the original amount; other bound or flags conflict', () => {
    const c = ctx();
    const t = pay('b', 'wallet', 'provider', 5000n, { balancingDebit: true });
    assert.equal(code(one(c, t)), 'created');
    one(c, pay('f', 'float', 'wallet', 9000n));
    const again = one(c, t);
    assert.equal(code(again), 'exists');
    assert.equal(again.status === 'exists' && again.transfer.amount, 1000n);
    for (const [field, change] of [
      ['amount', { amount: 1000n }],
      ['balancingDebit', { balancingDebit: false }],
      ['balancingCredit', { balancingCredit: true }],
    ] as const) {
      const r = one(c, { ...t, ...change } as TransferInput);
      assert.equal(code(r), 'IDEMPOTENCY_CONFLICT', field);
      assert.equal(r.status === 'failed' && r.error.data.field, field);
    }
    // a zero-amount balancing transfer replays as exists, with 0
    one(c, pay('z', 'float', 'provider', 5n, { balancingDebit: true }));
    const z = one(c, pay('z', 'float', 'provider', 5n, { balancingDebit: true }));
    assert.equal(z.status === 'exists' && z.transfer.amount, 0n);
  });

  test('balancing inside a linked request sees the earlier transfers; a failure undoes it all', () => {
    const c = ctx();
    c.accounts.set('dues', acc('dues', { normalSide: 'debit', creditsMustNotExceedDebits: true }));
    c.accounts.set('w2', acc('w2', { debitsMustNotExceedCredits: true }));
    const collect = (id: string, amount: bigint) =>
      pay(id, 'w2', 'dues', amount, { balancingDebit: true, balancingCredit: true });
    // a due of 300 recorded and collected from a credit of 200 in the same request
    const out = run(c, [pay('due', 'dues', 'provider', 300n), pay('in', 'float', 'w2', 200n), collect('col', 1000n)]);
    assert.deepEqual(out.results[0]!.map(code), ['created', 'created', 'created']);
    assert.equal(out.transfers[2]!.amount, 200n);
    // then a credit of 500 collects only the 100 still owed
    const out2 = run(c, [pay('in2', 'float', 'w2', 500n), collect('col2', 500n)]);
    assert.equal(out2.transfers[1]!.amount, 100n);
    assert.deepEqual(
      [
        c.accounts.get('dues')!.debitsPosted,
        c.accounts.get('dues')!.creditsPosted,
        c.accounts.get('w2')!.creditsPosted,
      ],
      [300n, 300n, 700n],
    );
    // a failing later transfer rolls the balancing one back too
    const before = structuredClone([...c.accounts.values()]);
    const out3 = run(c, [
      pay('due2', 'dues', 'provider', 50n),
      collect('col3', 50n),
      pay('x', 'w2', 'provider', 10_000n),
    ]);
    assert.deepEqual(out3.results[0]!.map(code), [
      'LINKED_TRANSFER_FAILED',
      'LINKED_TRANSFER_FAILED',
      'INSUFFICIENT_FUNDS',
    ]);
    assert.deepEqual([...c.accounts.values()], before);
    assert.equal(c.transfers.has('col3'), false);
  });

  test('balancing flags: posted transfers only, not reversals, booleans, bound above zero', () => {
    const c = ctx();
    one(c, pay('o', 'wallet', 'provider', 10n));
    one(c, pay('h', 'wallet', 'provider', 10n, { pending: true }));
    const bad: Array<[TransferInput, string]> = [
      [
        pay('x', 'wallet', 'provider', 5n, { pending: true, balancingDebit: true } as Partial<TransferInput>),
        'balancingDebit',
      ],
      [pay('x', 'provider', 'wallet', 5n, { reversalOf: 'o', balancingCredit: true }), 'balancingCredit'],
      [{ id: 'x', post: true, pendingId: 'h', kind: 'x', balancingDebit: true } as TransferInput, 'balancingDebit'],
      [pay('x', 'wallet', 'provider', 5n, { balancingDebit: 1 as unknown as boolean }), 'balancingDebit'],
      [pay('x', 'wallet', 'provider', 0n, { balancingDebit: true }), 'amount'],
    ];
    for (const [input, field] of bad) {
      const r = one(c, input);
      assert.equal(code(r), 'INVALID_TRANSFER', field);
      assert.equal(r.status === 'failed' && r.error.data.field, field, field);
    }
  });

  test('account not found', () => {
    const c = ctx();
    const r = one(c, pay('t', 'nope', 'wallet', 1n));
    assert.equal(code(r), 'ACCOUNT_NOT_FOUND');
    assert.equal(r.status === 'failed' && r.error.data.accountId, 'nope');
  });

  test('pending, post (partial and full), void, already resolved, not found', () => {
    const c = ctx();
    assert.equal(code(one(c, pay('h1', 'wallet', 'provider', 200n, { pending: true }))), 'created');
    assert.equal(c.accounts.get('wallet')!.debitsPending, 200n);
    assert.equal(
      code(one(c, { id: 'p0', post: true, pendingId: 'h1', amount: 201n, kind: 'cap' })),
      'INVALID_TRANSFER',
    );
    const post = one(c, { id: 'p1', post: true, pendingId: 'h1', amount: 150n, kind: 'cap' });
    assert.equal(code(post), 'created');
    const w = c.accounts.get('wallet')!;
    assert.deepEqual([w.debitsPosted, w.debitsPending], [150n, 0n]);
    assert.equal(c.accounts.get('provider')!.creditsPending, 0n);
    const again = one(c, { id: 'v1', void: true, pendingId: 'h1' });
    assert.equal(code(again), 'PENDING_ALREADY_RESOLVED');
    assert.equal(again.status === 'failed' && again.error.data.resolvedBy, 'p1');
    assert.equal(code(one(c, pay('h2', 'wallet', 'provider', 100n, { pending: true }))), 'created');
    const v = one(c, { id: 'v2', void: true, pendingId: 'h2' });
    assert.equal(code(v), 'created');
    assert.equal(v.status === 'created' && v.transfer.amount, 100n);
    assert.equal(c.accounts.get('wallet')!.debitsPending, 0n);
    assert.equal(code(one(c, pay('h3', 'wallet', 'provider', 10n, { pending: true }))), 'created');
    const full = one(c, { id: 'p3', post: true, pendingId: 'h3', kind: 'cap' });
    assert.equal(full.status === 'created' && full.transfer.amount, 10n);
    assert.equal(code(one(c, { id: 'p4', post: true, pendingId: 'zz', kind: 'cap' })), 'PENDING_NOT_FOUND');
    assert.equal(code(one(c, { id: 'p5', post: true, pendingId: 'p3', kind: 'cap' })), 'PENDING_NOT_FOUND');
    one(c, pay('h4', 'wallet', 'provider', 10n, { pending: true }));
    assert.equal(
      code(one(c, { id: 'p6', post: true, pendingId: 'h4', kind: 'cap', debitAccountId: 'float' })),
      'INVALID_TRANSFER',
    );
  });

  test('pending expiry: post refused after the timeout, void allowed', () => {
    const c = ctx();
    const h = one(c, pay('h', 'wallet', 'provider', 10n, { pending: true, timeoutSeconds: 60 }));
    assert.equal(h.status === 'created' && h.transfer.expiresAt?.getTime(), NOW.getTime() + 60_000);
    c.now = new Date(NOW.getTime() + 59_999);
    assert.equal(code(run(c, [{ id: 'p', post: true, pendingId: 'h', kind: 'x' }]).results[0]![0]!), 'created');
    const c2 = ctx();
    one(c2, pay('h', 'wallet', 'provider', 10n, { pending: true, timeoutSeconds: 60 }));
    c2.now = new Date(NOW.getTime() + 60_000);
    assert.equal(code(one(c2, { id: 'p', post: true, pendingId: 'h', kind: 'x' })), 'PENDING_EXPIRED');
    assert.equal(code(one(c2, { id: 'v', void: true, pendingId: 'h', kind: 'pending_expired' })), 'created');
  });

  test('idempotency: same content is exists, different content names the field', () => {
    const c = ctx();
    const t = pay('t', 'wallet', 'provider', 5n, { reference: 'r1', metadata: { a: 1, b: [1, 2] } });
    assert.equal(code(one(c, t)), 'created');
    assert.equal(code(one(c, { ...t, metadata: { b: [1, 2], a: 1 } } as TransferInput)), 'exists');
    for (const [field, change] of [
      ['amount', { amount: 6n }],
      ['creditAccountId', { creditAccountId: 'float' }],
      ['kind', { kind: 'other' }],
      ['reference', { reference: 'r2' }],
      ['metadata', { metadata: { a: 2 } }],
      ['type', { pending: true }],
    ] as const) {
      const r = one(c, { ...t, ...change } as TransferInput);
      assert.equal(code(r), 'IDEMPOTENCY_CONFLICT', field);
      assert.equal(r.status === 'failed' && r.error.data.field, field);
    }
    // a replay of a post succeeds even though its pending is now resolved
    one(c, pay('h', 'wallet', 'provider', 5n, { pending: true }));
    one(c, { id: 'hp', post: true, pendingId: 'h', kind: 'x' });
    assert.equal(code(one(c, { id: 'hp', post: true, pendingId: 'h', kind: 'x' })), 'exists');
    assert.equal(code(one(c, { id: 'hp', post: true, pendingId: 'h', amount: 4n, kind: 'x' })), 'IDEMPOTENCY_CONFLICT');
  });

  test('linked: all or nothing, failure attributed, the context restored', () => {
    const c = ctx();
    const before = structuredClone([...c.accounts.values()]);
    const out = run(c, [
      pay('a', 'float', 'wallet', 10n),
      pay('b', 'wallet', 'provider', 5000n),
      pay('c', 'wallet', 'provider', 1n),
    ]);
    assert.deepEqual(out.results[0]!.map(code), [
      'LINKED_TRANSFER_FAILED',
      'INSUFFICIENT_FUNDS',
      'LINKED_TRANSFER_FAILED',
    ]);
    const first = out.results[0]![0]!;
    assert.equal(first.status === 'failed' && first.error.data.failedId, 'b');
    assert.deepEqual([...c.accounts.values()], before);
    assert.equal(out.entries.length, 0);
    assert.equal(out.transfers.length, 0);
    assert.equal(c.transfers.has('a'), false);
  });

  test('independent requests in one batch do not affect each other', () => {
    const c = ctx();
    const out = run(
      c,
      [pay('a', 'wallet', 'provider', 600n)],
      [pay('b', 'wallet', 'provider', 600n)],
      [pay('c', 'wallet', 'provider', 400n)],
    );
    assert.deepEqual(
      out.results.map((r) => code(r[0]!)),
      ['created', 'INSUFFICIENT_FUNDS', 'created'],
    );
    assert.equal(out.transfers.length, 2);
    assert.equal(out.entries.length, 4);
    assert.equal(c.accounts.get('wallet')!.debitsPosted, 1000n);
  });

  test('hold and its post in one linked request; duplicate ids in one batch', () => {
    const c = ctx();
    const out = run(
      c,
      [pay('h', 'wallet', 'provider', 5n, { pending: true }), { id: 'p', post: true, pendingId: 'h', kind: 'x' }],
      [pay('d', 'float', 'wallet', 1n)],
      [pay('d', 'float', 'wallet', 1n)],
      [pay('d', 'float', 'wallet', 2n)],
    );
    assert.deepEqual(
      out.results.map((r) => r.map(code).join()),
      ['created,created', 'created', 'exists', 'IDEMPOTENCY_CONFLICT'],
    );
  });

  test('reversal: swapped accounts, not above the original, once', () => {
    const c = ctx();
    one(c, pay('o', 'wallet', 'provider', 50n));
    assert.equal(code(one(c, pay('r0', 'wallet', 'provider', 50n, { reversalOf: 'o' }))), 'INVALID_TRANSFER');
    assert.equal(code(one(c, pay('r0', 'provider', 'wallet', 51n, { reversalOf: 'o' }))), 'INVALID_TRANSFER');
    assert.equal(code(one(c, pay('r0', 'provider', 'wallet', 1n, { reversalOf: 'missing' }))), 'INVALID_TRANSFER');
    assert.equal(code(one(c, pay('r1', 'provider', 'wallet', 50n, { reversalOf: 'o' }))), 'created');
    assert.equal(code(one(c, pay('r2', 'provider', 'wallet', 1n, { reversalOf: 'o' }))), 'ALREADY_REVERSED');
  });

  test('input validation', () => {
    const bad: Array<[TransferInput, string]> = [
      [pay('x', 'wallet', 'provider', 0n), 'amount'],
      [pay('x', 'wallet', 'provider', -1n), 'amount'],
      [pay('x', 'wallet', 'provider', 1 as unknown as bigint), 'amount'],
      [pay('x', 'wallet', 'wallet', 1n), 'creditAccountId'],
      [pay('bad id', 'wallet', 'provider', 1n), 'id'],
      [pay('x'.repeat(161), 'wallet', 'provider', 1n), 'id'],
      [pay('x', 'wallet', 'provider', 1n, { kind: 'has space' }), 'kind'],
      [pay('x', 'wallet', 'provider', 1n, { metadata: { n: 1n } as unknown as Record<string, unknown> }), 'metadata'],
      [pay('x', 'wallet', 'provider', 1n, { pending: true, timeoutSeconds: 0 }), 'timeoutSeconds'],
      [{ id: 'x', void: true, pendingId: 'h', amount: 1n } as unknown as TransferInput, 'amount'],
      [{ id: 'x', post: true, pendingId: 'x', kind: 'k' }, 'pendingId'],
    ];
    for (const [input, field] of bad) {
      const n = norm(input);
      assert.ok(n instanceof LedgerError, field);
      assert.equal(n.code, 'INVALID_TRANSFER');
      assert.equal(n.data.field, field, n.message);
    }
  });

  test('errors serialize with stable codes', () => {
    const c = ctx();
    const r = one(c, pay('t', 'wallet', 'provider', 5000n));
    assert.equal(r.status, 'failed');
    const json = JSON.parse(JSON.stringify(r.status === 'failed' ? r.error : null));
    assert.deepEqual(Object.keys(json).sort(), ['code', 'data', 'message']);
    const back = ledgerErrorFromJson(json);
    assert.equal(back.code, 'INSUFFICIENT_FUNDS');
    assert.equal(back.data.amount, '5000');
  });

  test('canonical JSON and expiry void ids', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 1, c: 2 } }), '{"a":{"c":2,"d":1},"b":1}');
    assert.equal(expiryVoidId('r:1:hold'), 'r:1:hold:expired');
    assert.ok(expiryVoidId('x'.repeat(160)).length <= 160);
  });
});
