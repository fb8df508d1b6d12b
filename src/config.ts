import { isIP } from 'node:net';
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

const proxyRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isAddressOrSubnet = (s: string) => {
  const [address = '', bits, ...rest] = s.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};

/**
 * Express's `trust proxy`: which proxies may name the client in X-Forwarded-For. Unset or `false`:
 * none (the connecting address is the client); a number: that many hops; else addresses, subnets
 * and loopback/linklocal/uniquelocal. `true` (anyone) is refused: a client could pick its address.
 */
const trustProxy = optionalString.transform((v, ctx): false | number | string[] => {
  if (v === undefined || v === 'false') return false;
  if (/^[0-9]{1,2}$/.test(v)) return Number(v);
  const entries = v.split(',').map((s) => s.trim());
  const bad = entries.filter((s) => !proxyRanges.has(s) && !isAddressOrSubnet(s));
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `not a hop count, an address, a subnet or loopback/linklocal/uniquelocal: ${bad.join(', ')}`,
    });
    return z.NEVER;
  }
  return entries;
});

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  TIJORI_DATA_DIR: z.string().default('.data'),

  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  // Reports read here (a replica), in read-only transactions; unset: the primary, still read-only.
  DATABASE_READ_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
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
  TRUST_PROXY: trustProxy,
  TIJORI_ADMIN_API_KEY: optionalString.pipe(z.string().min(24).optional()),
  // The bootstrap admin signs in by SMS only once this sets its mobile (src/users/bootstrap.ts).
  TIJORI_ADMIN_MOBILE: optionalString.pipe(
    z
      .string()
      .regex(/^[6-9][0-9]{9}$/, '10-digit Indian mobile number')
      .optional(),
  ),

  SIMULATOR_HOST: z.string().default('127.0.0.1'),
  SIM_OPERATOR_PORT: port.default(3900),
  SIM_KYC_PORT: port.default(3902),
  SIM_GATEWAY_PORT: port.default(3903),
  SIM_SMS_PORT: port.default(3904),
  SIM_SMTP_PORT: port.default(2525),
  SIM_MAIL_HTTP_PORT: port.default(3905),
  SIM_WEBHOOK_RECEIVER_PORT: port.default(3906),
  SIM_OPERATOR_LATENCY_MS: z.coerce.number().int().min(0).default(0),

  OPERATOR_PROVIDERS_URL: optionalString.pipe(z.url().optional()),
  KYC_PROVIDER_URL: optionalString.pipe(z.url().optional()),
  GATEWAY_URL: optionalString.pipe(z.url().optional()),
  GATEWAY_WEBHOOK_SECRET: optionalString.pipe(z.string().min(16).optional()),
  GATEWAY_MERCHANT_KEY: optionalString.pipe(z.string().min(8).optional()),
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
  RECHARGE_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(500),
  RECHARGE_MAX_IN_FLIGHT_PER_USER: z.coerce.number().int().min(1).default(50),
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
  KYC_WEBHOOK_SECRET: optionalString.pipe(z.string().min(16).optional()),
  KYC_REKYC_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(63_072_000), // two years
  KYC_OTP_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(600),
  KYC_OTP_MAX_TRIES: z.coerce.number().int().min(1).max(10).default(3),
  KYC_PAN_POLL_SECONDS: z.coerce.number().int().min(1).default(60),
  KYC_PAN_MAX_WAIT_SECONDS: z.coerce.number().int().min(1).default(86_400),
  KYC_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  KYC_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
  KYC_BREAKER_COOLDOWN_SECONDS: z.coerce.number().int().min(1).default(30),
  // Aadhaar/PAN encryption keys `kid:base64(32 bytes),...`, the one new values use, and the HMAC
  // key for look-up hashes (base64, >= 32 bytes).
  PII_KEYS: optionalString,
  PII_ACTIVE_KEY_ID: optionalString,
  PII_LOOKUP_KEY: optionalString,

  TWILIO_ACCOUNT_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_FROM: optionalString,
  TWILIO_API_BASE_URL: optionalString.pipe(z.url().optional()),
  SMTP_HOST: optionalString,
  SMTP_PORT: port.optional(),
  SMTP_SECURE: bool.default(false),
  SMTP_USER: optionalString,
  SMTP_PASSWORD: optionalString,
  MAIL_FROM: optionalString,
  OPS_ALERT_EMAIL: optionalString,
  // Webhooks to API clients (src/webhooks): POST timeout, retry backoff, when a failing endpoint
  // is disabled and when one delivery is given up.
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(10_000),
  WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(10).default(3_600_000),
  WEBHOOK_DISABLE_AFTER_SECONDS: z.coerce.number().int().min(1).default(86_400),
  WEBHOOK_GIVE_UP_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(3 * 86_400),
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
  // AML monitoring and sanctions screening (src/compliance, README.md "Sanctions watchlist"):
  // STR/CTR thresholds in paise (the seed's ₹50,000 single, ₹10,00,000 a month), the monthly
  // report's recipient (default OPS_ALERT_EMAIL), the watchlist CSV (outside production, the
  // sample in data/) and the fuzzy match's similarity threshold.
  COMPLIANCE_SINGLE_PAISE: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(50_000_00),
  COMPLIANCE_CUMULATIVE_PAISE: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(10_00_000_00),
  COMPLIANCE_EMAIL: optionalString.pipe(z.email().optional()),
  WATCHLIST_FILE: optionalString,
  SANCTIONS_MATCH_THRESHOLD: z.coerce.number().min(0.5).max(1).default(0.9),

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

export type Env = z.input<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * What a development stack runs with when nothing is configured: secrets anyone can read here,
 * the simulators' credentials and the local sinks. NODE_ENV=production uses none of them.
 */
const devDefaults = {
  TIJORI_JWT_SECRET: 'dev-only-jwt-secret-never-use-in-production',
  TIJORI_OTP_SECRET: 'dev-only-otp-secret-never-use-in-production',
  TIJORI_MPIN_PEPPER: 'dev-only-mpin-pepper-never-use-in-production',
  PII_KEYS: 'dev1:ZGV2LW9ubHktcGlpLWtleS1uZXZlci1pbi1wcm9kISE=',
  PII_LOOKUP_KEY: 'ZGV2LW9ubHktcGlpLWxvb2t1cC1rZXktbmV2ZXItcHJvZA==',
  GATEWAY_WEBHOOK_SECRET: 'dev-gateway-webhook-secret',
  GATEWAY_MERCHANT_KEY: 'dev-gateway-merchant-key',
  KYC_WEBHOOK_SECRET: 'dev-kyc-webhook-secret',
  TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
  TWILIO_AUTH_TOKEN: 'dev-twilio-auth-token',
  TWILIO_FROM: '+15005550006',
  SMTP_HOST: '127.0.0.1',
  MAIL_FROM: 'Tijori <no-reply@tijori.local>',
  OPS_ALERT_EMAIL: 'ops@tijori.local',
} as const;
type Defaulted = keyof typeof devDefaults;

/** A production mail relay may well listen on 127.0.0.1 too. */
const mayEqualDevDefault: ReadonlySet<Defaulted> = new Set(['SMTP_HOST']);

/** Outside production these default to the embedded servers and the simulators. */
const requiredInProduction = ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'KYC_PROVIDER_URL', 'GATEWAY_URL'] as const;

/**
 * Recharge provider definitions name their credentials and callback secrets as PROVIDER_*
 * variables, so a new provider needs no change here. Outside production the simulated providers
 * have defaults (those of dev/simulators/operator/server.ts), a distinct callback secret each.
 * Which variables a provider needs is known only once its definition is read from the database:
 * the provider registry refuses to start without them in production.
 */
const PROVIDER_SECRET_NAME = /^PROVIDER_[A-Z0-9_]+$/;
const devProviderCredentials = {
  PROVIDER_ALPHA_API_KEY: 'dev-alpha-api-key',
  PROVIDER_ALPHA_CALLBACK_SECRET: 'dev-alpha-callback-secret',
  PROVIDER_BETA_USERID: 'TIJORI01',
  PROVIDER_BETA_TOKEN: 'dev-beta-token',
  PROVIDER_BETA_CALLBACK_SECRET: 'dev-beta-callback-secret',
};

function providerVariables(env: NodeJS.ProcessEnv): Array<[string, string]> {
  return Object.entries(env).filter((e): e is [string, string] => PROVIDER_SECRET_NAME.test(e[0]) && !!e[1]);
}

export function providerCredentials(env: NodeJS.ProcessEnv, production: boolean): Readonly<Record<string, string>> {
  const values: Record<string, string> = production ? {} : { ...devProviderCredentials };
  for (const [name, value] of providerVariables(env)) values[name] = value;
  return Object.freeze(values);
}

/** Every variable production lacks or sets to a development value, named. */
function productionProblems(e: z.output<typeof envSchema>, env: NodeJS.ProcessEnv): string[] {
  const devValues = new Set<string>(Object.values(devProviderCredentials));
  for (const [name, value] of Object.entries(devDefaults)) {
    if (!mayEqualDevDefault.has(name as Defaulted)) devValues.add(value);
  }
  const problems = requiredInProduction.filter((name) => e[name] === undefined).map((name) => `${name}: required`);
  for (const name of Object.keys(devDefaults) as Defaulted[]) {
    const value = e[name];
    if (value === undefined) problems.push(`${name}: required`);
    else if (!mayEqualDevDefault.has(name) && devValues.has(value)) problems.push(`${name}: a development value`);
  }
  for (const [name, value] of providerVariables(env)) {
    if (devValues.has(value)) problems.push(`${name}: a development value`);
  }
  return problems;
}

function piiConfig(e: z.output<typeof envSchema>) {
  const keys = e.PII_KEYS ?? devDefaults.PII_KEYS;
  const activeKeyId = e.PII_ACTIVE_KEY_ID ?? keys.split(',')[0]!.split(':')[0]!;
  return { keys, activeKeyId, lookupKey: e.PII_LOOKUP_KEY ?? devDefaults.PII_LOOKUP_KEY };
}

const unitSeconds = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** '15m' -> 900; the schema has already checked the form. */
function durationSeconds(text: string): number {
  return Number(text.slice(0, -1)) * unitSeconds[text.slice(-1) as keyof typeof unitSeconds];
}

function localUrl(host: string, p: number, suffix = ''): string {
  return `http://${host}:${p}${suffix}`;
}

/** The environment, validated; in production, development defaults are refused. */
function parseEnv(env: NodeJS.ProcessEnv): ParsedEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production') {
    const problems = productionProblems(e, env);
    if (problems.length) {
      throw new ConfigError(
        `Invalid configuration for NODE_ENV=production (development defaults are refused):\n${problems.map((p) => `  ${p}`).join('\n')}`,
      );
    }
  }
  return e;
}

type ParsedEnv = z.output<typeof envSchema>;
/** A variable with a development default (refused in production by parseEnv). */
type Defaults = (name: Defaulted) => string;

/** Temporal: the server (or the dev server started in development), TLS, the workflow bundle. */
function temporalConfig(e: ParsedEnv) {
  return {
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
  };
}

/** Recharge, KYC and payment-gateway providers: where they are, their credentials, breaker and timeouts. */
function providersConfig(e: ParsedEnv, d: Defaults, env: NodeJS.ProcessEnv, production: boolean) {
  return {
    /** The simulated providers' root; in production only when set (definitions may not use it). */
    operatorBaseUrl:
      e.OPERATOR_PROVIDERS_URL ??
      (production ? undefined : localUrl(e.SIMULATOR_HOST, e.SIM_OPERATOR_PORT, '/providers')),
    kycBaseUrl: e.KYC_PROVIDER_URL ?? localUrl(e.SIMULATOR_HOST, e.SIM_KYC_PORT),
    gatewayBaseUrl: e.GATEWAY_URL ?? localUrl(e.SIMULATOR_HOST, e.SIM_GATEWAY_PORT),
    gatewayWebhookSecret: d('GATEWAY_WEBHOOK_SECRET'),
    gatewayMerchantKey: d('GATEWAY_MERCHANT_KEY'),
    /** PROVIDER_* values by variable name: the credentials and callback secrets definitions name. */
    credentials: providerCredentials(env, production),
    rechargeBreaker: { threshold: e.RECHARGE_BREAKER_THRESHOLD, cooldownMs: e.RECHARGE_BREAKER_COOLDOWN_MS },
    /** Caps each provider definition's own request timeout when set. */
    maxRequestTimeoutMs: e.RECHARGE_PROVIDER_TIMEOUT_MS,
  };
}

/** KYC: wallet caps per tier and role, the provider webhook, OTP and PAN polling, the breaker. */
function kycConfig(e: ParsedEnv, d: Defaults) {
  return {
    caps: {
      tiers: {
        none: e.KYC_CAP_NONE_PAISE ?? e.KYC_CAP_MIN_PAISE,
        min: e.KYC_CAP_MIN_PAISE,
        full: e.KYC_CAP_FULL_PAISE,
      },
      byRole: e.KYC_CAPS_BY_ROLE,
    },
    webhookSecret: d('KYC_WEBHOOK_SECRET'),
    reKycIntervalSeconds: e.KYC_REKYC_INTERVAL_SECONDS,
    otpTtlSeconds: e.KYC_OTP_TTL_SECONDS,
    otpMaxTries: e.KYC_OTP_MAX_TRIES,
    panPollSeconds: e.KYC_PAN_POLL_SECONDS,
    panMaxWaitSeconds: e.KYC_PAN_MAX_WAIT_SECONDS,
    providerTimeoutMs: e.KYC_PROVIDER_TIMEOUT_MS,
    breaker: { failures: e.KYC_BREAKER_FAILURES, cooldownSeconds: e.KYC_BREAKER_COOLDOWN_SECONDS },
  };
}

/** SMS (Twilio) and e-mail (SMTP): the simulators in development. */
function notifyConfig(e: ParsedEnv, d: Defaults, production: boolean) {
  return {
    twilio: {
      accountSid: d('TWILIO_ACCOUNT_SID'),
      authToken: d('TWILIO_AUTH_TOKEN'),
      from: d('TWILIO_FROM'),
      apiBaseUrl:
        e.TWILIO_API_BASE_URL ?? (production ? 'https://api.twilio.com' : localUrl(e.SIMULATOR_HOST, e.SIM_SMS_PORT)),
    },
    smtp: {
      host: d('SMTP_HOST'),
      port: e.SMTP_PORT ?? (production ? (e.SMTP_SECURE ? 465 : 587) : e.SIM_SMTP_PORT),
      secure: e.SMTP_SECURE,
      user: e.SMTP_USER,
      password: e.SMTP_PASSWORD,
    },
    mailFrom: d('MAIL_FROM'),
    opsAlertEmail: d('OPS_ALERT_EMAIL'),
  };
}

/** Tokens, sessions, OTP, MPIN and rate limits. */
function authConfig(e: ParsedEnv, d: Defaults) {
  return {
    jwtSecret: d('TIJORI_JWT_SECRET'),
    otpSecret: d('TIJORI_OTP_SECRET'),
    mpinPepper: d('TIJORI_MPIN_PEPPER'),
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
  };
}
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = parseEnv(env);
  const production = e.NODE_ENV === 'production';
  const d: Defaults = (name) => e[name] ?? devDefaults[name];
  const dataDir = path.resolve(e.TIJORI_DATA_DIR);
  return Object.freeze({
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    dataDir,
    database: {
      /** undefined means "start the embedded PostgreSQL" (development only). */
      url: e.DATABASE_URL,
      poolMax: e.DATABASE_POOL_MAX,
      /** Reports' connection; undefined means the primary's. */
      readUrl: e.DATABASE_READ_URL,
      embeddedPort: e.EMBEDDED_PG_PORT,
    },
    temporal: temporalConfig(e),
    api: {
      host: e.API_HOST,
      port: e.API_PORT,
      publicUrl: e.API_PUBLIC_URL ?? localUrl('127.0.0.1', e.API_PORT),
      trustProxy: e.TRUST_PROXY,
      bootstrapAdminKey: e.TIJORI_ADMIN_API_KEY,
      bootstrapAdminMobile: e.TIJORI_ADMIN_MOBILE,
    },
    simulators: {
      host: e.SIMULATOR_HOST,
      operatorPort: e.SIM_OPERATOR_PORT,
      kycPort: e.SIM_KYC_PORT,
      gatewayPort: e.SIM_GATEWAY_PORT,
      smsPort: e.SIM_SMS_PORT,
      smtpPort: e.SIM_SMTP_PORT,
      mailHttpPort: e.SIM_MAIL_HTTP_PORT,
      /** The development webhook receiver (npm start and npm run simulators only). */
      webhookReceiverPort: e.SIM_WEBHOOK_RECEIVER_PORT,
      operatorLatencyMs: e.SIM_OPERATOR_LATENCY_MS,
    },
    providers: providersConfig(e, d, env, production),
    recharges: {
      maxPendingSeconds: e.RECHARGE_MAX_PENDING_SECONDS,
      pollScheduleSeconds: e.RECHARGE_POLL_SCHEDULE_SECONDS,
      duplicateWindowSeconds: e.RECHARGE_DUPLICATE_WINDOW_SECONDS,
      /** Admission control (src/recharges/admission.ts): recharges in flight, platform-wide and per user. */
      maxInFlight: e.RECHARGE_MAX_IN_FLIGHT,
      maxInFlightPerUser: e.RECHARGE_MAX_IN_FLIGHT_PER_USER,
    },
    topups: {
      approvalTtlSeconds: e.TOPUP_APPROVAL_TTL_SECONDS,
      paymentTtlSeconds: e.TOPUP_PAYMENT_TTL_SECONDS,
    },
    kyc: kycConfig(e, d),
    pii: piiConfig(e),
    notify: notifyConfig(e, d, production),
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: e.WEBHOOK_RETRY_MAX_MS,
      disableAfterSeconds: e.WEBHOOK_DISABLE_AFTER_SECONDS,
      giveUpAfterSeconds: e.WEBHOOK_GIVE_UP_AFTER_SECONDS,
    },
    ops: {
      stuckAfterSeconds: e.OPS_STUCK_AFTER_SECONDS,
      stuckTopupAfterSeconds: e.OPS_STUCK_TOPUP_AFTER_SECONDS,
      describeLimit: e.OPS_STUCK_DESCRIBE_LIMIT,
      reconciliationIntervalSeconds: durationSeconds(e.RECONCILIATION_INTERVAL),
      /** The worker's Prometheus endpoint (Temporal SDK metrics) on 127.0.0.1; off when unset. */
      workerMetricsPort: e.WORKER_METRICS_PORT,
    },
    auth: authConfig(e, d),
    compliance: {
      thresholds: {
        singlePaise: BigInt(e.COMPLIANCE_SINGLE_PAISE),
        cumulativePaise: BigInt(e.COMPLIANCE_CUMULATIVE_PAISE),
      },
      email: e.COMPLIANCE_EMAIL ?? d('OPS_ALERT_EMAIL'),
      watchlistFile:
        e.WATCHLIST_FILE === undefined
          ? production
            ? undefined
            : path.resolve('data', 'watchlist-sample.csv')
          : path.resolve(e.WATCHLIST_FILE),
      sanctionsThreshold: e.SANCTIONS_MATCH_THRESHOLD,
    },
  });
}

export type Config = ReturnType<typeof loadConfig>;
