import type { Config } from '../../src/config';
import type { Logger } from '../../src/logger';
import { createGatewaySimulator, type GatewaySimulatorOptions } from './gateway';
import { listen } from './http';
import { createKycSimulator, type KycSimulatorOptions } from './kyc';
import { createMailSink } from './mail-sink';
import {
  createOperatorSimulator,
  DEFAULT_PROVIDER_CREDENTIALS,
  type OperatorSimulatorOptions,
  type ProviderCredentials,
} from './operator/server';
import { createSmsSink } from './sms-sink';
import { createWebhookReceiver } from './webhook-receiver';

type Tuning<T> = Partial<Omit<T, 'log' | 'apiBaseUrl' | 'credentials' | 'webhookUrl' | 'webhookSecret'>>;

export interface SimulatorsOptions {
  /** Where our API listens: callbacks and webhooks go to its /v1/... routes. */
  apiBaseUrl: string;
  /** Default: config.kyc.webhookSecret. */
  kycWebhookSecret?: string;
  operator?: Tuning<OperatorSimulatorOptions>;
  kyc?: Tuning<KycSimulatorOptions>;
  gateway?: Tuning<GatewaySimulatorOptions>;
  /** Also start the webhook receiver (dev/simulators/webhook-receiver.ts) on this port. */
  webhookReceiverPort?: number;
}

export interface RunningSimulators {
  urls: {
    /** Server root: providers under /providers/<name>, the control API under /control. */
    operator: string;
    kyc: string;
    gateway: string;
    /** The twilio API base URL (what TWILIO_API_BASE_URL should be). */
    sms: string;
    mailHttp: string;
    smtpPort: number;
    /** Where to point webhook endpoints (`/hooks/…`) and watch them (`/deliveries`), when started. */
    webhookReceiver?: string;
  };
  stop(): Promise<void>;
}

/**
 * The simulated providers accept what the seeded definitions of alpha and beta send, and sign
 * their callbacks with what those definitions verify against: the same PROVIDER_* values.
 */
function simulatedProviderCredentials(c: Readonly<Record<string, string>>): ProviderCredentials {
  const d = DEFAULT_PROVIDER_CREDENTIALS;
  return {
    alpha: {
      apiKey: c.PROVIDER_ALPHA_API_KEY ?? d.alpha.apiKey,
      callbackSecret: c.PROVIDER_ALPHA_CALLBACK_SECRET ?? d.alpha.callbackSecret,
    },
    beta: {
      userid: c.PROVIDER_BETA_USERID ?? d.beta.userid,
      token: c.PROVIDER_BETA_TOKEN ?? d.beta.token,
      callbackSecret: c.PROVIDER_BETA_CALLBACK_SECRET ?? d.beta.callbackSecret,
    },
  };
}

export async function startSimulators(
  config: Config,
  log: Logger,
  opts: SimulatorsOptions,
): Promise<RunningSimulators> {
  const { host } = config.simulators;
  const api = opts.apiBaseUrl.replace(/\/$/, '');
  const stops: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
    stops.length = 0;
  };

  try {
    const operator = createOperatorSimulator({
      latencyMs: config.simulators.operatorLatencyMs,
      ...opts.operator,
      apiBaseUrl: api,
      credentials: simulatedProviderCredentials(config.providers.credentials),
      log: log.child({ simulator: 'operator' }),
    });
    stops.push(() => operator.close());
    const operatorServer = await listen(operator.app, host, config.simulators.operatorPort);
    stops.push(() => operatorServer.close());

    const kyc = createKycSimulator({
      ...opts.kyc,
      webhookUrl: `${api}/v1/webhooks/kyc`,
      webhookSecret: opts.kycWebhookSecret ?? config.kyc.webhookSecret,
      log: log.child({ simulator: 'kyc' }),
    });
    stops.push(() => kyc.close());
    const kycServer = await listen(kyc.app, host, config.simulators.kycPort);
    stops.push(() => kycServer.close());

    const gateway = createGatewaySimulator({
      ...opts.gateway,
      webhookUrl: `${api}/v1/webhooks/gateway`,
      webhookSecret: config.providers.gatewayWebhookSecret,
      log: log.child({ simulator: 'gateway' }),
    });
    stops.push(() => gateway.close());
    const gatewayServer = await listen(gateway.app, host, config.simulators.gatewayPort);
    stops.push(() => gatewayServer.close());

    const sms = createSmsSink(config.notify.twilio);
    const smsServer = await listen(sms.app, host, config.simulators.smsPort);
    stops.push(() => smsServer.close());

    const mail = createMailSink({ log: log.child({ simulator: 'mail' }) });
    const smtpPort = await mail.listenSmtp(host, config.simulators.smtpPort);
    stops.push(() => mail.closeSmtp());
    const mailServer = await listen(mail.app, host, config.simulators.mailHttpPort);
    stops.push(() => mailServer.close());

    let webhookReceiver: string | undefined;
    if (opts.webhookReceiverPort !== undefined) {
      const receiverServer = await listen(createWebhookReceiver().app, host, opts.webhookReceiverPort);
      stops.push(() => receiverServer.close());
      webhookReceiver = receiverServer.url;
    }

    return {
      urls: {
        operator: operatorServer.url,
        kyc: kycServer.url,
        gateway: gatewayServer.url,
        sms: smsServer.url,
        mailHttp: mailServer.url,
        smtpPort,
        webhookReceiver,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
