import type { Server } from 'node:http';
import { RECHARGE_CLEARING_ACCOUNT } from '../recharges/accounts';
import { RechargeAdmission } from '../recharges/admission';
import { AuditService } from '../audit/service';
import type { Config } from '../config';
import { IdempotencyStore } from '../db/idempotency';
import { createDb } from '../db/knex';
import { createApp } from '../http/app';
import { createAuthServices } from '../auth/services';
import { KycService } from '../kyc/service';
import { KycStore } from '../kyc/store';
import { Ledger } from '../ledger';
import type { Logger } from '../logger';
import { createMetrics } from '../metrics';
import { createSmsSender } from '../notify/sms';
import { registerOpsMetrics } from '../ops/metrics';
import { OpsService } from '../ops/service';
import { createRechargeProviders } from './recharge-providers';
import { ConfigService } from '../catalog/config-service';
import { OperatorLookup } from '../catalog/lookup';
import { CatalogService } from '../catalog/service';
import { providerEnvironment } from '../providers/recharge/registry';
import { RechargeService } from '../recharges/service';
import { RechargeStore } from '../recharges/store';
import { piiVaultFromConfig } from '../security/pii';
import { connectClient } from '../temporal/connection';
import { registerRiskMetrics } from '../risk/metrics';
import { RiskAdmin, riskEngine } from '../risk/service';
import { RiskStore } from '../risk/store';
import { TopupService } from '../topups/service';
import { TopupStore } from '../topups/store';
import { UserService } from '../users/service';
import { WalletService } from '../wallets/service';
import { ReportService } from '../reports/service';
import { AlertSettings } from '../events/settings';
import { WebhookService } from '../webhooks/service';
import { capFor } from '../kyc/caps';
import { ComplianceReports } from '../compliance/reports';
import { SanctionsService } from '../compliance/watchlist';

export interface RunningApi {
  url: string;
  stop: () => Promise<void>;
}

export async function startApi(config: Config, log: Logger): Promise<RunningApi> {
  if (!config.database.url) throw new Error('DATABASE_URL is not set');
  const db = createDb(config.database.url, config.database.poolMax);
  const readDb = createDb(config.database.readUrl ?? config.database.url, config.database.poolMax, { readOnly: true });
  const temporal = await connectClient(config.temporal);
  const ledger = new Ledger(db);
  await ledger.ensureSystemAccounts();
  const sanctions = new SanctionsService(
    db,
    { watchlistFile: config.compliance.watchlistFile, threshold: config.compliance.sanctionsThreshold },
    log,
  );
  await sanctions.ensureLoaded();
  const users = new UserService(db, ledger, (role) => capFor(role, 'none', config.kyc.caps), sanctions);
  const providers = createRechargeProviders(db, config, log);
  if (config.env === 'production') await providers.registry.assertUsable();
  const metrics = createMetrics();
  registerOpsMetrics(metrics.registry, db, RECHARGE_CLEARING_ACCOUNT, log);
  registerRiskMetrics(metrics.registry, new RiskStore(db), log);
  const risk = riskEngine(db, temporal, config.temporal.taskQueue);
  const topups = new TopupService(config, temporal, new TopupStore(db), users, risk);
  const lookup = new OperatorLookup(db, providers.registry);
  const recharges = new RechargeService(config, temporal, new RechargeStore(db), users, log, lookup);
  const app = createApp({
    config,
    log,
    metrics,
    idempotency: new IdempotencyStore(db),
    users,
    alerts: new AlertSettings(db),
    wallets: new WalletService(db, ledger, users, risk),
    risk: new RiskAdmin(db, new RiskStore(db)),
    topups,
    kyc: new KycService(config, temporal, new KycStore(db), users, piiVaultFromConfig(config.pii)),
    auth: createAuthServices(config, db, createSmsSender(config.notify.twilio), log),
    recharges,
    catalog: new CatalogService(db, lookup),
    configuration: new ConfigService(db, providerEnvironment(config.providers)),
    admission: new RechargeAdmission(db, config.recharges),
    webhooks: new WebhookService({
      db,
      vault: piiVaultFromConfig(config.pii),
      policy: { production: config.env === 'production' },
    }),
    ops: new OpsService({ config, db, ledger, temporal, recharges, topups, exchanges: providers.exchanges, log }),
    reports: new ReportService(readDb, users),
    audit: new AuditService(db),
    compliance: { reports: new ComplianceReports(readDb, config.compliance.thresholds), sanctions },
    readiness: {
      database: async () => {
        await db.raw('select 1');
      },
      temporal: async () => {
        await temporal.workflowService.describeNamespace({ namespace: config.temporal.namespace });
      },
    },
    rechargeProviders: {
      get: (name) => providers.registry.get(name),
      recordExchange: async (rechargeId, exchange) => {
        await providers.exchanges.record(rechargeId, exchange);
      },
    },
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.api.port, config.api.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  // Idle keep-alive connections outlive the clients' own idle timeouts (undici: 4 s, load
  // balancers: 60 s), so a client never sends on a socket the server is just closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
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
      await readDb.destroy();
    },
  };
}
