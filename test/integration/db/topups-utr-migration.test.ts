import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as migration from '../../../migrations/20261123120000_topups_utr_unique_platform_wide';
import { testDb, uniq } from '../../support/db';
import { uniqueMobile } from '../../support/api';

const db = testDb();
after(() => db.destroy());

class Rollback extends Error {}

test('UTRs claimed by several users before the platform-wide rule: the first claim keeps it, later ones point at it', async () => {
  await assert.rejects(
    db.transaction(async (trx) => {
      // The schema as it was (UTR unique per user), holding cross-user duplicates.
      await migration.down(trx);
      const users = [uniq('usr_'), uniq('usr_'), uniq('usr_')];
      for (const id of users) {
        await trx('users').insert({ id, role: 'retailer', name: id, mobile: uniqueMobile(), path: id });
      }
      const ref = uniq('UTR').toUpperCase();
      const spellings = [ref, ref.toLowerCase(), `${ref.slice(0, 3).toLowerCase()}${ref.slice(3)}`];
      const claims = users.map((user_id, i) => ({
        id: uniq('tpu_'),
        user_id,
        utr: spellings[i]!,
        created_at: trx.raw(`now() - make_interval(hours => ${3 - i})`),
      }));
      for (const c of claims) {
        await trx('topups').insert({
          ...c,
          amount: 1_000,
          method: 'bank_transfer',
          status: 'pending_approval',
          workflow_id: `topup-${c.id}`,
        });
      }

      await migration.up(trx);
      const rows = await trx('topups')
        .whereIn(
          'id',
          claims.map((c) => c.id),
        )
        .orderBy('created_at')
        .select('id', 'utr', 'utr_duplicate_of');
      assert.deepEqual(
        rows.map((r: { id: string; utr: string; utr_duplicate_of: string | null }) => [
          r.id,
          r.utr,
          r.utr_duplicate_of,
        ]),
        [
          [claims[0]!.id, claims[0]!.utr, null],
          [claims[1]!.id, claims[1]!.utr, claims[0]!.id],
          [claims[2]!.id, claims[2]!.utr, claims[0]!.id],
        ],
        'the claims are kept as made; later ones point at the first',
      );
      await assert.rejects(
        trx.transaction((inner) =>
          inner('topups').insert({
            id: uniq('tpu_'),
            user_id: users[1],
            utr: ref,
            amount: 1,
            method: 'bank_transfer',
            status: 'pending_approval',
            workflow_id: uniq('topup-'),
          }),
        ),
        (err: { constraint?: string }) => err.constraint === 'topups_utr_key',
      );
      throw new Rollback();
    }),
    Rollback,
  );
});
