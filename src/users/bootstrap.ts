import fs from 'node:fs';
import path from 'node:path';
import { isUniqueViolation } from '../db/errors';
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
 *
 * The admin has no sign-in mobile, so no SMS signs anyone in as it, until one is set deliberately:
 * `mobile` (TIJORI_ADMIN_MOBILE) is given to it when it is created, or later if it still has none.
 * A mobile it has is never replaced from here.
 */
export async function bootstrapAdmin(db: Db, apiKey: string, opts: { mobile?: string } = {}): Promise<BootstrapResult> {
  try {
    return await db.transaction(async (trx) => {
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
          mobile: opts.mobile ?? null,
          path: adminId,
        });
        await trx('api_keys').insert({
          id: newId('key'),
          user_id: adminId,
          name: 'bootstrap',
          key_hash: hashApiKey(apiKey),
          key_prefix: keyPrefix(apiKey),
        });
      } else if (opts.mobile) {
        await trx('users')
          .where({ id: adminId })
          .whereNull('mobile')
          .update({ mobile: opts.mobile, updated_at: trx.fn.now() });
      }
      // Every user but support has a wallet; this also gives one to an admin bootstrapped before that rule.
      await new Ledger(db).createAccounts([walletAccount(adminId)], trx);
      return { adminId, created: !existing };
    });
  } catch (err) {
    if (isUniqueViolation(err, 'users_mobile_key')) {
      throw new Error('TIJORI_ADMIN_MOBILE: another user already has this mobile number');
    }
    throw err;
  }
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
