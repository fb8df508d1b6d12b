import {
  duesAccountId,
  walletAccountId,
  type Ledger,
  type SinglePhaseTransferInput,
  type Transfer,
  type TransferInput,
} from '../ledger';

/**
 * Dues: money a user owes the platform that could not be taken when it fell due (a commission
 * clawed back after the earner had spent it). A due is the balance of the user's debit-normal
 * `dues:<userId>` ledger account; it is collected from the user's next wallet credits, in the
 * same linked batch as each credit, so nothing owed is ever written off silently.
 */

/**
 * Collects up to `amount` of what `userId` owes from its wallet: a balancing transfer, clamped to
 * the wallet's available balance and to the dues outstanding, so it may move nothing.
 */
export function dueCollection(
  id: string,
  userId: string,
  amount: bigint,
  reference: string | null,
): SinglePhaseTransferInput {
  return {
    id,
    debitAccountId: walletAccountId(userId),
    creditAccountId: duesAccountId(userId),
    amount,
    balancingDebit: true,
    balancingCredit: true,
    kind: 'due_collected',
    reference,
  };
}

/** What `userId` owes now, in paise (0 when it never owed anything). */
export async function duesOutstanding(ledger: Ledger, userId: string): Promise<bigint> {
  const account = await ledger.getAccount(duesAccountId(userId));
  return account ? account.debitsPosted - account.creditsPosted : 0n;
}

/** The user whose wallet `t` credits with posted money, if it does. */
function walletCredited(t: TransferInput): { userId: string; amount: bigint } | undefined {
  const prefix = walletAccountId('');
  if ('pending' in t && t.pending) return undefined;
  if (!('creditAccountId' in t) || !t.creditAccountId?.startsWith(prefix)) return undefined;
  if (!('amount' in t) || t.amount === undefined) return undefined;
  return { userId: t.creditAccountId.slice(prefix.length), amount: t.amount };
}

/**
 * `batch` with, after each posted credit to the wallet of a user who owes dues, a collection of up
 * to that credit. Users who owe nothing cost one read and add no transfer; a due recorded after
 * the read is collected from the next credit.
 */
export async function withDueCollections(ledger: Ledger, batch: TransferInput[]): Promise<TransferInput[]> {
  const credited = new Set(batch.map((t) => walletCredited(t)?.userId).filter((u): u is string => !!u));
  const owing = new Set<string>();
  await Promise.all(
    [...credited].map(async (userId) => {
      if ((await duesOutstanding(ledger, userId)) > 0n) owing.add(userId);
    }),
  );
  if (owing.size === 0) return batch;
  return batch.flatMap((t) => {
    const credit = walletCredited(t);
    if (!credit || !owing.has(credit.userId)) return [t];
    return [t, dueCollection(`${t.id}:due`, credit.userId, credit.amount, t.reference ?? null)];
  });
}

/**
 * Posts one transfer that credits a wallet, and in the same linked batch collects what the
 * credited user owes; throws the transfer's LedgerError if it is refused. Every credit to a wallet
 * outside a larger batch goes through here.
 */
export async function creditCollectingDues(ledger: Ledger, credit: SinglePhaseTransferInput): Promise<Transfer> {
  const [result] = await ledger.createTransfers(await withDueCollections(ledger, [credit]));
  if (result!.status === 'failed') throw result!.error;
  return result!.transfer;
}
