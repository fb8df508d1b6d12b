import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/knex';
import { newId } from '../ids';
import { Ledger, walletAccount } from '../ledger';
import { generateApiKey, hashApiKey, keyPrefix } from './api-keys';

export interface BootstrapResult {
  adminId: string;
  created: boolean;
}

/**
 * On a fresh database, creates the first admin holding `apiKey`, with its wallet. Idempotent: once
 * an admin exists no user or key is added, so restarting never mints a second admin.
 */
export async function bootstrapAdmin(db: Db, apiKey: string): Promise<BootstrapResult> {
  return db.transaction(async (trx) => {
    // One bootstrap at a time, even with several API processes starting together.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['tijori.bootstrap-admin']);
    const existing = (await trx('users').where({ role: 'admin' }).orderBy('created_at').first('id')) as
      { id: string } | undefined;
    const adminId = existing?.id ?? newId('usr');
    if (!existing) {
      await trx('users').insert({
        id: adminId,
        role: 'admin',
        name: 'Bootstrap admin',
        mobile: '9999999999',
        path: adminId,
      });
      await trx('api_keys').insert({
        id: newId('key'),
        user_id: adminId,
        name: 'bootstrap',
        key_hash: hashApiKey(apiKey),
        key_prefix: keyPrefix(apiKey),
      });
    }
    // Every user but support has a wallet; this also gives one to an admin bootstrapped before that rule.
    await new Ledger(db).createAccounts([walletAccount(adminId)], trx);
    return { adminId, created: !existing };
  });
}

/**
 * For `npm start` without TIJORI_ADMIN_API_KEY: a key generated on the first start and kept
 * (mode 0600) in the data directory, so later starts print the key that still works.
 */
export function devAdminKey(dataDir: string): string {
  const file = path.join(dataDir, 'admin-api-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const key = generateApiKey();
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
