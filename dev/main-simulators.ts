import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startSimulators } from './simulators/start';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'tijori-simulators');
  const sims = await startSimulators(config, log, {
    apiBaseUrl: config.api.publicUrl,
    kycWebhookSecret: config.kyc.webhookSecret,
    webhookReceiverPort: config.simulators.webhookReceiverPort,
  });
  const { urls } = sims;
  log.info(
    {
      operatorProviders: `${urls.operator}/providers`,
      operatorControl: `${urls.operator}/control`,
      kyc: urls.kyc,
      gateway: urls.gateway,
      sms: urls.sms,
      mailHttp: urls.mailHttp,
      webhookReceiver: urls.webhookReceiver,
      smtp: `${config.simulators.host}:${urls.smtpPort}`,
      callbacksTo: config.api.publicUrl,
    },
    'simulators listening',
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping simulators');
    sims.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'simulators did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
