import path from 'node:path';
import { z } from 'zod';

/**
 * The one configuration object. Every entry point parses it once from the
 * environment and passes it down; nothing else reads process.env.
 * A bad or missing value stops start-up with a message naming the variable.
 */

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  TIJORI_DATA_DIR: z.string().default('.data'),

  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  EMBEDDED_PG_PORT: port.default(5433),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('tijori'),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_TLS_CA_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: optionalString.pipe(z.url().optional()),
  TEMPORAL_CLI_PATH: optionalString,

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(3000),
  API_PUBLIC_URL: optionalString.pipe(z.url().optional()),
  TIJORI_ADMIN_API_KEY: optionalString.pipe(z.string().min(24).optional()),

  SIMULATOR_HOST: z.string().default('127.0.0.1'),
  SIM_OPERATOR_PORT: port.default(3900),
  SIM_KYC_PORT: port.default(3902),
  SIM_GATEWAY_PORT: port.default(3903),
  SIM_SMS_PORT: port.default(3904),
  SIM_SMTP_PORT: port.default(2525),
  SIM_MAIL_HTTP_PORT: port.default(3905),
  SIM_OPERATOR_LATENCY_MS: z.coerce.number().int().min(0).default(0),

  OPERATOR_PROVIDERS_URL: optionalString.pipe(z.url().optional()),
  KYC_PROVIDER_URL: optionalString.pipe(z.url().optional()),
  GATEWAY_URL: optionalString.pipe(z.url().optional()),
  GATEWAY_WEBHOOK_SECRET: z.string().min(16).default('dev-gateway-webhook-secret'),
  GATEWAY_MERCHANT_KEY: z.string().min(8).default('dev-gateway-merchant-key'),
  TOPUP_APPROVAL_TTL_SECONDS: z.coerce.number().int().min(1).default(72 * 3600),
  TOPUP_PAYMENT_TTL_SECONDS: z.coerce.number().int().min(1).default(30 * 60),
  PROVIDER_CALLBACK_SECRET: z.string().min(16).default('dev-provider-callback-secret'),

  TWILIO_ACCOUNT_SID: z.string().default('AC00000000000000000000000000000000'),
  TWILIO_AUTH_TOKEN: z.string().default('dev-twilio-auth-token'),
  TWILIO_FROM: z.string().default('+15005550006'),
  TWILIO_API_BASE_URL: optionalString.pipe(z.url().optional()),
  SMTP_HOST: z.string().default('127.0.0.1'),
  SMTP_PORT: port.optional(),
  SMTP_SECURE: bool.default(false),
  SMTP_USER: optionalString,
  SMTP_PASSWORD: optionalString,
  MAIL_FROM: z.string().default('Tijori <no-reply@tijori.local>'),
  OPS_ALERT_EMAIL: z.string().default('ops@tijori.local'),
});

export type Env = z.input<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function localUrl(host: string, p: number, suffix = ''): string {
  return `http://${host}:${p}${suffix}`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const simHost = e.SIMULATOR_HOST;
  const dataDir = path.resolve(e.TIJORI_DATA_DIR);
  return Object.freeze({
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    dataDir,
    database: {
      /** undefined means "start the embedded PostgreSQL" (development only). */
      url: e.DATABASE_URL,
      poolMax: e.DATABASE_POOL_MAX,
      embeddedPort: e.EMBEDDED_PG_PORT,
    },
    temporal: {
      /** undefined means "start the Temporal dev server" (development only). */
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      tls: e.TEMPORAL_TLS
        ? {
            certPath: e.TEMPORAL_TLS_CERT_PATH,
            keyPath: e.TEMPORAL_TLS_KEY_PATH,
            caPath: e.TEMPORAL_TLS_CA_PATH,
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      apiKey: e.TEMPORAL_API_KEY,
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: e.TEMPORAL_UI_URL ?? localUrl('127.0.0.1', e.TEMPORAL_UI_PORT),
      cliPath: e.TEMPORAL_CLI_PATH,
    },
    api: {
      host: e.API_HOST,
      port: e.API_PORT,
      publicUrl: e.API_PUBLIC_URL ?? localUrl('127.0.0.1', e.API_PORT),
      bootstrapAdminKey: e.TIJORI_ADMIN_API_KEY,
    },
    simulators: {
      host: simHost,
      operatorPort: e.SIM_OPERATOR_PORT,
      kycPort: e.SIM_KYC_PORT,
      gatewayPort: e.SIM_GATEWAY_PORT,
      smsPort: e.SIM_SMS_PORT,
      smtpPort: e.SIM_SMTP_PORT,
      mailHttpPort: e.SIM_MAIL_HTTP_PORT,
      operatorLatencyMs: e.SIM_OPERATOR_LATENCY_MS,
    },
    providers: {
      operatorBaseUrl: e.OPERATOR_PROVIDERS_URL ?? localUrl(simHost, e.SIM_OPERATOR_PORT, '/providers'),
      kycBaseUrl: e.KYC_PROVIDER_URL ?? localUrl(simHost, e.SIM_KYC_PORT),
      gatewayBaseUrl: e.GATEWAY_URL ?? localUrl(simHost, e.SIM_GATEWAY_PORT),
      gatewayWebhookSecret: e.GATEWAY_WEBHOOK_SECRET,
      gatewayMerchantKey: e.GATEWAY_MERCHANT_KEY,
      callbackSecret: e.PROVIDER_CALLBACK_SECRET,
    },
    topups: {
      approvalTtlSeconds: e.TOPUP_APPROVAL_TTL_SECONDS,
      paymentTtlSeconds: e.TOPUP_PAYMENT_TTL_SECONDS,
    },
    notify: {
      twilio: {
        accountSid: e.TWILIO_ACCOUNT_SID,
        authToken: e.TWILIO_AUTH_TOKEN,
        from: e.TWILIO_FROM,
        apiBaseUrl: e.TWILIO_API_BASE_URL ?? localUrl(simHost, e.SIM_SMS_PORT),
      },
      smtp: {
        host: e.SMTP_HOST,
        port: e.SMTP_PORT ?? e.SIM_SMTP_PORT,
        secure: e.SMTP_SECURE,
        user: e.SMTP_USER,
        password: e.SMTP_PASSWORD,
      },
      mailFrom: e.MAIL_FROM,
      opsAlertEmail: e.OPS_ALERT_EMAIL,
    },
  });
}

export type Config = ReturnType<typeof loadConfig>;
