import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { rechargeClearingAccount } from '../recharges/accounts';
import type { Config } from '../config';
import { createDb } from '../db/knex';
import { kycProviderFromConfig } from '../kyc/provider-client';
import { KycStore } from '../kyc/store';
import { assertKycAllowsSpend } from '../kyc/spend-guard';
import { createRechargeProviders } from './recharge-providers';
import { riskEngine } from '../risk/service';
import { RechargeStore } from '../recharges/store';
import { Ledger } from '../ledger';
import { createGatewayClient } from '../topups/gateway-client';
import { TopupStore } from '../topups/store';
import type { Logger } from '../logger';
import { AlertConsumer } from '../events/alerts';
import { ensureEventDispatcher } from '../events/dispatcher';
import { createEmailSender } from '../notify/email';
import { createSmsSender } from '../notify/sms';
import { ensureReconciliationSchedule } from '../ops/reconciliation';
import { ensureComplianceSchedule } from '../compliance/schedule';
import { piiVaultFromConfig } from '../security/pii';
import { createWebhookConsumer } from '../webhooks/consumer';
import { connectClient, connectWorkerConnection } from '../temporal/connection';
import { installTemporalRuntime } from '../temporal/runtime';

// dist/src/run/worker.js when compiled, src/run/worker.ts under tsx: two levels below the root.
const root = path.resolve(__dirname, '..', '..');
const compiled = __filename.endsWith('.js');

/**
 * Workflow code comes from a pre-built bundle in a production build (`npm run build`) and in test
 * runs; in development it is bundled from source at start.
 */
function workflowSource(bundlePath: string | undefined) {
  if (bundlePath) return { workflowBundle: { codePath: bundlePath } };
  if (compiled) {
    const codePath = path.join(root, 'workflow-bundle.js');
    if (!fs.existsSync(codePath)) throw new Error(`No workflow bundle at ${codePath}: run \`npm run build\``);
    return { workflowBundle: { codePath } };
  }
  return { workflowsPath: path.join(root, 'workflows', 'index.ts') };
}

export interface RunningWorker {
  worker: Worker;
  done: Promise<void>;
  stop: () => Promise<void>;
}

export interface WorkerOptions {
  /** Activities replaced, e.g. by a broken one on purpose (test/e2e/ops-retry.test.ts). */
  activityOverrides?: Partial<Activities>;
}

export async function startWorker(config: Config, log: Logger, opts: WorkerOptions = {}): Promise<RunningWorker> {
  installTemporalRuntime(log, { metricsPort: config.ops.workerMetricsPort });
  const connection = await connectWorkerConnection(config.temporal);
  if (!config.database.url) throw new Error('DATABASE_URL is not set');
  const db = createDb(config.database.url, config.database.poolMax);
  const ledger = new Ledger(db);
  await ledger.ensureSystemAccounts();
  await ledger.createAccounts([rechargeClearingAccount]);
  const sms = createSmsSender(config.notify.twilio);
  const email = createEmailSender(config.notify.smtp, config.notify.mailFrom);
  const gateway = createGatewayClient({
    baseUrl: config.providers.gatewayBaseUrl,
    merchantKey: config.providers.gatewayMerchantKey,
  });
  const providers = createRechargeProviders(db, config, log);
  if (config.env === 'production') await providers.registry.assertUsable();
  const temporal = await connectClient(config.temporal);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: {
      ...createActivities({
        sms,
        email,
        temporal,
        eventConsumers: [new AlertConsumer(db, { sms, email }), createWebhookConsumer(config, { db, sms, email, log })],
        ledger,
        topups: new TopupStore(db),
        gateway,
        db,
        kycStore: new KycStore(db),
        kycProvider: kycProviderFromConfig(config, db),
        pii: piiVaultFromConfig(config.pii),
        kycSettings: { ...config.kyc, otpSecret: config.auth.otpSecret },
        recharges: new RechargeStore(db),
        providers,
        spendGate: assertKycAllowsSpend,
        risk: riskEngine(db, temporal, config.temporal.taskQueue),
        duplicateWindowSeconds: config.recharges.duplicateWindowSeconds,
        amlThresholds: config.compliance.thresholds,
      }),
      ...opts.activityOverrides,
    },
    ...workflowSource(config.temporal.workflowBundle),
  });
  const done = worker.run().finally(async () => {
    email.close();
    await temporal.connection.close();
    await connection.close();
    await ledger.close();
    await db.destroy();
  });
  try {
    log.info(await ensureReconciliationSchedule(temporal, config), 'reconciliation schedule in place');
  } catch (err) {
    // Money workflows do not depend on it: run on, loudly (`npm run ops -- schedule ensure` retries).
    log.error({ err }, 'could not create or update the reconciliation schedule');
  }
  await ensureComplianceSchedule(temporal, config).then(
    (r) => log.info(r, 'compliance schedule in place'),
    (err: unknown) => log.error({ err }, 'could not create or update the compliance schedule'),
  );
  // Money never waits for alerts: without the dispatcher, events wait in the feed for the next worker.
  await ensureEventDispatcher(temporal, config.temporal.taskQueue).catch((err: unknown) =>
    log.error({ err }, 'could not start the event dispatcher'),
  );
  log.info({ taskQueue: config.temporal.taskQueue }, 'worker started');
  return {
    worker,
    done,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
