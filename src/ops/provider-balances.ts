import type { Db } from '../db/knex';
import { queueAlerts, rupees } from '../events/alerts';
import type { RechargeProvider } from '../providers/recharge/types';

export interface ProviderBalance {
  provider: string;
  /** Paise, as text (JSON); absent when the provider did not answer. */
  balancePaise?: string;
  alertBelowPaise?: string;
  below?: boolean;
  /** This check found the balance newly below its level and alerted operations. */
  alerted?: boolean;
  error?: string;
}

/**
 * Reads every enabled provider's prepaid balance (those whose definition says how) and alerts
 * operations by email when one has fallen below its level since the last check: once per
 * crossing, however many checks see it stay below. The alert is queued in the same transaction
 * that records the crossing, so a crossing is alerted exactly once even when checks overlap.
 */
export async function checkProviderBalances(
  db: Db,
  providers: { get(name: string): Promise<RechargeProvider | undefined> },
  alertEmail: string,
): Promise<ProviderBalance[]> {
  const names = (await db('recharge_providers').where({ enabled: true }).orderBy('name').pluck('name')) as string[];
  const out: ProviderBalance[] = [];
  for (const provider of names) {
    const adapter = await providers.get(provider);
    if (!adapter?.balance) continue;
    const read = await adapter.balance();
    if (read.status !== 'ok') {
      out.push({ provider, error: read.reason });
      continue;
    }
    const below = read.balance < read.alertBelow;
    const alerted = await db.transaction(async (trx) => {
      const before = (await trx('provider_balances').where({ provider }).forUpdate().first('below', 'crossings')) as
        { below: boolean; crossings: number } | undefined;
      const crossed = below && !before?.below;
      const crossings = (before?.crossings ?? 0) + (crossed ? 1 : 0);
      await trx('provider_balances')
        .insert({
          provider,
          balance_paise: read.balance.toString(),
          alert_below_paise: read.alertBelow.toString(),
          below,
          crossings,
          checked_at: trx.fn.now(),
        })
        .onConflict('provider')
        .merge();
      if (crossed) {
        await queueAlerts(trx, [
          {
            key: `provider-balance-low:${provider}:${crossings}`,
            channel: 'email',
            userId: null,
            recipient: alertEmail,
            subject: `Tijori: provider ${provider} balance low (${rupees(read.balance)})`,
            body: [
              `The prepaid balance with provider ${provider} is ${rupees(read.balance)}, below its alert level of ${rupees(read.alertBelow)}.`,
              'Top it up before recharges routed to it fail for low balance.',
            ].join('\n'),
          },
        ]);
      }
      return crossed;
    });
    out.push({
      provider,
      balancePaise: read.balance.toString(),
      alertBelowPaise: read.alertBelow.toString(),
      below,
      alerted,
    });
  }
  return out;
}
