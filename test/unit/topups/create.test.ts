import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../../src/config';
import { TopupService } from '../../../src/topups/service';
import type { TopupStore } from '../../../src/topups/store';
import type { Topup } from '../../../src/topups/types';
import type { TopupWorkflowInput } from '../../../src/topups/workflow-api';
import type { UserService } from '../../../src/users/service';
import type { Caller } from '../../../src/users/types';

const caller: Caller = {
  id: 'usr_ret',
  role: 'retailer',
  path: 'usr_admin/usr_ret',
  status: 'active',
  parentId: 'usr_admin',
};

/**
 * A top-up service whose store already holds the request an earlier attempt under the same key
 * stored (its answer was a 5xx, so nothing was kept to replay), and a Temporal client that records
 * the workflows it is asked to start.
 */
function serviceWithStored(stored: Pick<Topup, 'amount' | 'method' | 'utr'>) {
  const id = TopupService.topupId(caller.id, 'key-1');
  const row: Topup = {
    id,
    userId: caller.id,
    status: stored.method === 'bank_transfer' ? 'pending_approval' : 'awaiting_payment',
    utrDuplicateOf: null,
    orderId: null,
    paymentUrl: null,
    workflowId: `topup-${id}`,
    decidedBy: null,
    note: null,
    failureReason: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...stored,
  };
  const started: TopupWorkflowInput[] = [];
  const store = { insert: async () => row, get: async () => row } as unknown as TopupStore;
  const temporal = {
    workflow: {
      start: async (_type: string, opts: { args: [TopupWorkflowInput] }) => {
        started.push(opts.args[0]);
        return {};
      },
    },
  } as unknown as Client;
  const service = new TopupService(loadConfig({ NODE_ENV: 'test' }), temporal, store, {} as UserService, {
    assertAllowed: async () => {},
  });
  return { service, started };
}

describe('a top-up request under a key that already names a stored one', () => {
  const stored = { amount: 1_000n, method: 'bank_transfer' as const, utr: 'UTR123456' };

  test('another body is 409 IDEMPOTENCY_CONFLICT and starts nothing', async () => {
    for (const req of [
      { amount: 900_000n, method: 'bank_transfer' as const, utr: 'UTR123456' },
      { amount: 1_000n, method: 'bank_transfer' as const, utr: 'UTR654321' },
      { amount: 1_000n, method: 'gateway' as const },
    ]) {
      const { service, started } = serviceWithStored(stored);
      await assert.rejects(
        service.create(caller, req, 'key-1'),
        (err: { code?: string }) => err.code === 'IDEMPOTENCY_CONFLICT',
      );
      assert.deepEqual(started, []);
    }
  });

  test('the same body starts the workflow from the stored request', async () => {
    const { service, started } = serviceWithStored(stored);
    const t = await service.create(caller, { amount: 1_000n, method: 'bank_transfer', utr: 'UTR123456' }, 'key-1');
    assert.equal(t.amount, 1_000n);
    assert.deepEqual(
      started.map((i) => [i.topupId, i.userId, i.amountPaise, i.method, i.closedAs]),
      [[t.id, caller.id, '1000', 'bank_transfer', undefined]],
    );
  });
});
