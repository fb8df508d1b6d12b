/**
 * A complete production configuration (NODE_ENV=production refuses every development default):
 * tests about one part of it override or delete just that part.
 */
export const productionEnv: Readonly<Record<string, string>> = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://tijori:pw@db.internal:5432/tijori',
  TEMPORAL_ADDRESS: 'temporal.internal:7233',
  KYC_PROVIDER_URL: 'https://kyc.example.com',
  GATEWAY_URL: 'https://pay.example.com',
  TIJORI_JWT_SECRET: 'j'.repeat(40),
  TIJORI_OTP_SECRET: 'o'.repeat(40),
  TIJORI_MPIN_PEPPER: 'p'.repeat(40),
  PII_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  PII_LOOKUP_KEY: Buffer.alloc(32, 9).toString('base64'),
  GATEWAY_WEBHOOK_SECRET: 'w'.repeat(32),
  GATEWAY_MERCHANT_KEY: 'm'.repeat(16),
  KYC_WEBHOOK_SECRET: 'k'.repeat(32),
  TWILIO_ACCOUNT_SID: `AC${'a1'.repeat(16)}`,
  TWILIO_AUTH_TOKEN: 't'.repeat(32),
  TWILIO_FROM: '+919800000000',
  SMTP_HOST: 'smtp.example.com',
  MAIL_FROM: 'Tijori <no-reply@example.com>',
  OPS_ALERT_EMAIL: 'ops@example.com',
};
