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
  TIJORI_WORKFLOW_BUNDLE: optionalString,

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
  RECHARGE_MAX_PENDING_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(15 * 60),
  RECHARGE_POLL_SCHEDULE_SECONDS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated whole seconds, e.g. 5,10,30,60')
    .default('5,10,30,60,120')
    .transform((s) => s.split(',').map(Number)),
  RECHARGE_DUPLICATE_WINDOW_SECONDS: z.coerce.number().int().min(0).default(120),
  TOPUP_APPROVAL_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(72 * 3600),
  TOPUP_PAYMENT_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(30 * 60),
  PROVIDER_CALLBACK_SECRET: z.string().min(16).default('dev-provider-callback-secret'),
  RECHARGE_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).optional(),
  RECHARGE_BREAKER_THRESHOLD: z.coerce.number().int().min(1).max(1000).default(5),
  RECHARGE_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),

  // KYC balance caps in paise per tier; KYC_CAP_NONE_PAISE defaults to the min tier's cap (0
  // demands KYC before any balance). KYC_CAPS_BY_ROLE overrides per role and tier, null = no cap:
  // {"distributor":{"none":null,"full":50000000}}. Admin and support wallets are never capped.
  KYC_CAP_NONE_PAISE: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  KYC_CAP_MIN_PAISE: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(10_000_00),
  KYC_CAP_FULL_PAISE: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(2_00_000_00),
  KYC_CAPS_BY_ROLE: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(
      z.partialRecord(
        z.enum(['master_distributor', 'distributor', 'retailer']),
        z
          .object({
            none: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
            min: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
            full: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
          })
          .partial()
          .strict(),
      ),
    ),
  KYC_WEBHOOK_SECRET: z.string().min(16).default('dev-kyc-webhook-secret'),
  KYC_REKYC_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(63_072_000), // two years
  KYC_OTP_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(600),
  KYC_OTP_MAX_TRIES: z.coerce.number().int().min(1).max(10).default(3),
  KYC_PAN_POLL_SECONDS: z.coerce.number().int().min(1).default(60),
  KYC_PAN_MAX_WAIT_SECONDS: z.coerce.number().int().min(1).default(86_400),
  KYC_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  KYC_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
  KYC_BREAKER_COOLDOWN_SECONDS: z.coerce.number().int().min(1).default(30),
  // Aadhaar/PAN encryption keys `kid:base64(32 bytes),...`, the one new values use, and the HMAC
  // key for look-up hashes (base64, >= 32 bytes). Development defaults are refused in production.
  PII_KEYS: optionalString,
  PII_ACTIVE_KEY_ID: optionalString,
  PII_LOOKUP_KEY: optionalString,

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
  // Operations (src/ops, docs/RUNBOOK.md): when an open recharge or top-up counts as stuck, how
  // many open workflows one stuck scan describes, and the reconciliation schedule's interval.
  OPS_STUCK_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(30 * 60),
  OPS_STUCK_TOPUP_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(24 * 3600),
  OPS_STUCK_DESCRIBE_LIMIT: z.coerce.number().int().min(0).max(10_000).default(500),
  RECONCILIATION_INTERVAL: z
    .string()
    .regex(/^[1-9][0-9]*(s|m|h|d)$/, 'a whole number of s, m, h or d, e.g. 1h or 15m')
    .default('1h'),
  WORKER_METRICS_PORT: port.optional(),

  TIJORI_JWT_SECRET: optionalString.pipe(z.string().min(32).optional()),
  TIJORI_OTP_SECRET: optionalString.pipe(z.string().min(32).optional()),
  TIJORI_MPIN_PEPPER: optionalString.pipe(z.string().min(32).optional()),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).default(604_800), // 7 days
  SESSION_TTL_SECONDS: z.coerce.number().int().min(300).default(2_592_000), // 30 days
  OTP_TTL_SECONDS: z.coerce.number().int().min(30).max(900).default(300),
  OTP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  OTP_PER_MOBILE_PER_HOUR: z.coerce.number().int().min(1).max(100).default(5),
  MPIN_MAX_TRIES: z.coerce.number().int().min(1).max(20).default(5),
  MPIN_FREEZE_TRIES: z.coerce.number().int().min(2).max(100).default(10),
  MPIN_LOCK_SECONDS: z.coerce.number().int().min(1).default(1800),
  STEP_UP_THRESHOLD_PAISE: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1_000_000),
  AUTH_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(60),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
});

/** Development defaults for the auth secrets; refused when NODE_ENV=production. */
const devSecrets = {
  TIJORI_JWT_SECRET: 'dev-only-jwt-secret-never-use-in-production',
  TIJORI_OTP_SECRET: 'dev-only-otp-secret-never-use-in-production',
  TIJORI_MPIN_PEPPER: 'dev-only-mpin-pepper-never-use-in-production',
} as const;

function authSecret(e: z.output<typeof envSchema>, name: keyof typeof devSecrets): string {
  const value = e[name];
  if (e.NODE_ENV === 'production' && (value === undefined || value === devSecrets[name])) {
    throw new ConfigError(`Invalid configuration:\n  ${name}: required in production (at least 32 characters)`);
  }
  return value ?? devSecrets[name];
}

/** Development-only PII keys; refused when NODE_ENV=production. */
const devPii = {
  keys: 'dev1:ZGV2LW9ubHktcGlpLWtleS1uZXZlci1pbi1wcm9kISE=',
  activeKeyId: 'dev1',
  lookupKey: 'ZGV2LW9ubHktcGlpLWxvb2t1cC1rZXktbmV2ZXItcHJvZA==',
} as const;

function piiConfig(e: z.output<typeof envSchema>) {
  if (e.NODE_ENV === 'production' && (!e.PII_KEYS || !e.PII_LOOKUP_KEY)) {
    throw new ConfigError('Invalid configuration:\n  PII_KEYS, PII_LOOKUP_KEY: required in production');
  }
  const keys = e.PII_KEYS ?? devPii.keys;
  const activeKeyId = e.PII_ACTIVE_KEY_ID ?? (e.PII_KEYS ? keys.split(',')[0]!.split(':')[0]! : devPii.activeKeyId);
  return { keys, activeKeyId, lookupKey: e.PII_LOOKUP_KEY ?? devPii.lookupKey };
}

export type Env = z.input<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Recharge provider definitions name their credentials as PROVIDER_* variables, so a new provider
 * needs no change here. Outside production the simulated providers' credentials have defaults
 * (those of src/simulators/operator/server.ts).
 */
const PROVIDER_SECRET_NAME = /^PROVIDER_[A-Z0-9_]+$/;
const devProviderCredentials = {
  PROVIDER_ALPHA_API_KEY: 'dev-alpha-api-key',
  PROVIDER_BETA_USERID: 'TIJORI01',
  PROVIDER_BETA_TOKEN: 'dev-beta-token',
};

export function providerCredentials(
  env: NodeJS.ProcessEnv,
  production: boolean,
  callbackSecret: string,
): Readonly<Record<string, string>> {
  const values: Record<string, string> = production ? {} : { ...devProviderCredentials };
  for (const [name, value] of Object.entries(env)) {
    if (PROVIDER_SECRET_NAME.test(name) && value) values[name] = value;
  }
  values.PROVIDER_CALLBACK_SECRET = callbackSecret;
  return Object.freeze(values);
}

const unitSeconds = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** '15m' -> 900; the schema has already checked the form. */
function durationSeconds(text: string): number {
  return Number(text.slice(0, -1)) * unitSeconds[text.slice(-1) as keyof typeof unitSeconds];
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
      /** A pre-built workflow bundle (tests, production build); else bundled from source. */
      workflowBundle: e.TIJORI_WORKFLOW_BUNDLE,
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
      /** PROVIDER_* values by variable name: what recharge provider definitions refer to. */
      credentials: providerCredentials(env, e.NODE_ENV === 'production', e.PROVIDER_CALLBACK_SECRET),
      rechargeBreaker: { threshold: e.RECHARGE_BREAKER_THRESHOLD, cooldownMs: e.RECHARGE_BREAKER_COOLDOWN_MS },
      /** Caps each provider definition's own request timeout when set. */
      maxRequestTimeoutMs: e.RECHARGE_PROVIDER_TIMEOUT_MS,
    },
    recharges: {
      maxPendingSeconds: e.RECHARGE_MAX_PENDING_SECONDS,
      pollScheduleSeconds: e.RECHARGE_POLL_SCHEDULE_SECONDS,
      duplicateWindowSeconds: e.RECHARGE_DUPLICATE_WINDOW_SECONDS,
    },
    topups: {
      approvalTtlSeconds: e.TOPUP_APPROVAL_TTL_SECONDS,
      paymentTtlSeconds: e.TOPUP_PAYMENT_TTL_SECONDS,
    },
    kyc: {
      caps: {
        tiers: {
          none: e.KYC_CAP_NONE_PAISE ?? e.KYC_CAP_MIN_PAISE,
          min: e.KYC_CAP_MIN_PAISE,
          full: e.KYC_CAP_FULL_PAISE,
        },
        byRole: e.KYC_CAPS_BY_ROLE,
      },
      webhookSecret: e.KYC_WEBHOOK_SECRET,
      reKycIntervalSeconds: e.KYC_REKYC_INTERVAL_SECONDS,
      otpTtlSeconds: e.KYC_OTP_TTL_SECONDS,
      otpMaxTries: e.KYC_OTP_MAX_TRIES,
      panPollSeconds: e.KYC_PAN_POLL_SECONDS,
      panMaxWaitSeconds: e.KYC_PAN_MAX_WAIT_SECONDS,
      providerTimeoutMs: e.KYC_PROVIDER_TIMEOUT_MS,
      breaker: { failures: e.KYC_BREAKER_FAILURES, cooldownSeconds: e.KYC_BREAKER_COOLDOWN_SECONDS },
    },
    pii: piiConfig(e),
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
    ops: {
      stuckAfterSeconds: e.OPS_STUCK_AFTER_SECONDS,
      stuckTopupAfterSeconds: e.OPS_STUCK_TOPUP_AFTER_SECONDS,
      describeLimit: e.OPS_STUCK_DESCRIBE_LIMIT,
      reconciliationIntervalSeconds: durationSeconds(e.RECONCILIATION_INTERVAL),
      /** The worker's Prometheus endpoint (Temporal SDK metrics) on 127.0.0.1; off when unset. */
      workerMetricsPort: e.WORKER_METRICS_PORT,
    },
    auth: {
      jwtSecret: authSecret(e, 'TIJORI_JWT_SECRET'),
      otpSecret: authSecret(e, 'TIJORI_OTP_SECRET'),
      mpinPepper: authSecret(e, 'TIJORI_MPIN_PEPPER'),
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      sessionTtlSeconds: e.SESSION_TTL_SECONDS,
      otpTtlSeconds: e.OTP_TTL_SECONDS,
      otpMaxAttempts: e.OTP_MAX_ATTEMPTS,
      otpPerMobilePerHour: e.OTP_PER_MOBILE_PER_HOUR,
      mpinMaxTries: e.MPIN_MAX_TRIES,
      mpinFreezeTries: e.MPIN_FREEZE_TRIES,
      mpinLockSeconds: e.MPIN_LOCK_SECONDS,
      stepUpThresholdPaise: BigInt(e.STEP_UP_THRESHOLD_PAISE),
      ipRateLimit: { limit: e.AUTH_RATE_LIMIT_PER_IP, windowSeconds: e.AUTH_RATE_LIMIT_WINDOW_SECONDS },
      apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    },
  });
}

export type Config = ReturnType<typeof loadConfig>;
