import type { Db } from '../db/knex';

export interface AlertSettingsView {
  /** Email alerts on (SMS alerts cannot be turned off: they are the regulatory minimum). */
  email: boolean;
  /** Paise; null: no low-balance alert. */
  lowBalanceThreshold: bigint | null;
}

export interface AlertSettingsChange {
  email?: boolean;
  lowBalanceThreshold?: bigint | null;
}

/** A user's alert preferences (PUT /v1/me/alerts); a user without a row has the defaults. */
export class AlertSettings {
  constructor(private readonly db: Db) {}

  async get(userId: string): Promise<AlertSettingsView> {
    const row = (await this.db('user_alert_settings').where({ user_id: userId }).first()) as
      { email: boolean; low_balance_threshold: bigint | null } | undefined;
    return { email: row?.email ?? true, lowBalanceThreshold: row?.low_balance_threshold ?? null };
  }

  /** Changes the given fields only; the others keep their value. */
  async update(userId: string, change: AlertSettingsChange): Promise<AlertSettingsView> {
    const fields = {
      ...(change.email !== undefined ? { email: change.email } : {}),
      ...(change.lowBalanceThreshold !== undefined
        ? { low_balance_threshold: change.lowBalanceThreshold?.toString() ?? null }
        : {}),
    };
    if (Object.keys(fields).length) {
      await this.db('user_alert_settings')
        .insert({ user_id: userId, ...fields })
        .onConflict('user_id')
        .merge({ ...fields, updated_at: this.db.fn.now() });
    }
    return this.get(userId);
  }
}
