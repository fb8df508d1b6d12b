import type { Server } from 'node:http';
import type { Config } from '../config';
import { IdempotencyStore } from '../db/idempotency';
import { createDb } from '../db/knex';
import { createApp } from '../http/app';
import { Ledger } from '../ledger';
import type { Logger } from '../logger';
import { createMetrics } from '../metrics';
import { connectClient } from '../temporal/connection';
import { TopupService } from '../topups/service';
import { TopupStore } from '../topups/store';
import { UserService } from '../users/service';
import { WalletService } from '../wallets/service';

export interface RunningApi {
  url: string;
  stop: () => Promise<void>;
}

export async function startApi(config: Config, log: Logger): Promise<RunningApi> {
  if (!config.database.url) throw new Error('DATABASE_URL is not set');
  const db = createDb(config.database.url, config.database.poolMax);
  const temporal = await connectClient(config.temporal);
  const ledger = new Ledger(db);
  await ledger.ensureSystemAccounts();
  const users = new UserService(db, ledger);
  const app = createApp({
    config,
    db,
    ledger,
    temporal,
    log,
    metrics: createMetrics(),
    idempotency: new IdempotencyStore(db),
    users,
    wallets: new WalletService(db, ledger, users),
    topups: new TopupService(config, temporal, new TopupStore(db), users),
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.api.port, config.api.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.api.port;
  const url = `http://${config.api.host}:${port}`;
  log.info({ url }, 'api listening');
  return {
    url,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await ledger.close();
      await temporal.connection.close();
      await db.destroy();
    },
  };
}
