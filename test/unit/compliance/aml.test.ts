import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { groupCandidates, istMonth, previousIstMonth, type CandidateRow } from '../../../src/compliance/aml';

describe('IST months', () => {
  test('a month runs from its first IST midnight to the next month’s', () => {
    assert.deepEqual(istMonth('2026-11'), {
      from: new Date('2026-10-31T18:30:00.000Z'),
      to: new Date('2026-11-30T18:30:00.000Z'),
    });
    assert.deepEqual(istMonth('2026-12').to, new Date('2026-12-31T18:30:00.000Z'));
    assert.deepEqual(istMonth('2024-02').to, new Date('2024-02-29T18:30:00.000Z'));
  });

  test('not a month is refused', () => {
    for (const m of ['2026-13', '2026-00', '2026-1', '1969-12', '3000-01', '9999-12', '2026-11-01', '']) {
      assert.throws(() => istMonth(m), RangeError, m);
    }
  });

  test('the previous month of an instant is by IST', () => {
    // 2026-11-30T18:30Z is already 1 December in India.
    assert.equal(previousIstMonth(new Date('2026-11-30T18:29:59.999Z')), '2026-10');
    assert.equal(previousIstMonth(new Date('2026-11-30T18:30:00.000Z')), '2026-11');
    assert.equal(previousIstMonth(new Date('2027-01-01T00:30:00.000Z')), '2026-12');
  });
});

describe('groupCandidates', () => {
  const row = (userId: string, reason: 'single' | 'cumulative', direction: '' | 'debit' | 'credit', id: string) =>
    ({
      month: '2026-11',
      userId,
      name: 'N',
      role: 'retailer',
      reason,
      direction,
      totalAmount: 10n,
      transferId: id,
      at: new Date(0),
      kind: 'transfer',
      transferDirection: 'credit',
      transferAmount: 5n,
      reference: '',
    }) satisfies CandidateRow;

  test('one item per user, reason and direction, its transfers in order', () => {
    const items = groupCandidates([
      row('u1', 'cumulative', 'credit', 't1'),
      row('u1', 'cumulative', 'credit', 't2'),
      row('u1', 'cumulative', 'debit', 't3'),
      row('u1', 'single', '', 't1'),
      row('u2', 'single', '', 't4'),
    ]);
    assert.deepEqual(
      items.map((i) => [i.userId, i.reason, i.direction, i.transfers.map((t) => t.transferId).join()]),
      [
        ['u1', 'cumulative', 'credit', 't1,t2'],
        ['u1', 'cumulative', 'debit', 't3'],
        ['u1', 'single', null, 't1'],
        ['u2', 'single', null, 't4'],
      ],
    );
    assert.equal(items[0]!.transfers[0]!.reference, null);
  });
});
