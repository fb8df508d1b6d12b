import type { Config } from '../config';
import type { Db } from '../db/knex';
import { CircuitBreakers } from '../providers/circuit-breakers';

/**
 * HTTP client of the KYC provider (in development and tests the simulator in
 * dev/simulators/kyc.ts; its header documents the wire format). Every call is bounded by a timeout
 * and goes through its circuit breaker (`kyc`, shared by every process). Error messages never carry the request body: it holds an
 * Aadhaar or PAN number.
 */

/** The provider did not answer usefully: down, 5xx, timed out, or the circuit is open. */
export class KycProviderUnavailable extends Error {
  override name = 'KycProviderUnavailable';
}

/** The provider refused the request itself (4xx): retrying the same request cannot help. */
export class KycProviderRejected extends Error {
  override name = 'KycProviderRejected';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type AadhaarVerifyStatus = 'VERIFIED' | 'INVALID_OTP' | 'EXPIRED' | 'ATTEMPTS_EXCEEDED';
export type PanStatus = 'PENDING' | 'VERIFIED' | 'REJECTED';

export interface KycProviderClient {
  requestAadhaarOtp(aadhaarNumber: string): Promise<{ requestId: string; expiresAt: string }>;
  verifyAadhaarOtp(requestId: string, otp: string): Promise<{ status: AadhaarVerifyStatus; attemptsLeft?: number }>;
  submitPan(req: { pan: string; name: string; clientRef: string }): Promise<{ requestId: string; status: PanStatus }>;
  panStatus(requestId: string): Promise<{ status: PanStatus; reason: string | null }>;
}

export interface KycProviderOptions {
  baseUrl: string;
  timeoutMs: number;
  breakers: CircuitBreakers;
  /** The breaker's name in `breakers`. */
  circuit: string;
}

/** The KYC provider's circuit breaker, beside the recharge providers' (named by provider). */
export const KYC_CIRCUIT = 'kyc';

export function createKycProviderClient(opts: KycProviderOptions): KycProviderClient {
  const base = opts.baseUrl.replace(/\/$/, '');

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return opts.breakers.run(
      opts.circuit,
      async () => {
        let res: Response;
        try {
          res = await fetch(`${base}${path}`, {
            method,
            headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(opts.timeoutMs),
          });
        } catch (err) {
          throw new KycProviderUnavailable(`KYC provider ${method} ${path.split('/')[1]}: ${(err as Error).name}`);
        }
        const text = await res.text();
        if (res.status >= 500 || res.status === 429) {
          throw new KycProviderUnavailable(`KYC provider answered ${res.status}`);
        }
        let parsed: T & { error?: { code?: string } };
        try {
          parsed = JSON.parse(text || '{}') as T & { error?: { code?: string } };
        } catch {
          throw new KycProviderUnavailable(`KYC provider answered ${res.status} with a body that is not JSON`);
        }
        if (res.status >= 400) {
          const code = parsed.error?.code ?? `HTTP_${res.status}`;
          throw new KycProviderRejected(code, `KYC provider refused the request (${res.status} ${code})`);
        }
        return parsed;
      },
      (err) => err instanceof KycProviderUnavailable,
    );
  }

  return {
    requestAadhaarOtp: (aadhaarNumber) => call('POST', '/aadhaar/otp', { aadhaarNumber }),
    verifyAadhaarOtp: (requestId, otp) => call('POST', '/aadhaar/verify', { requestId, otp }),
    submitPan: (req) => call('POST', '/pan', req),
    panStatus: (requestId) => call('GET', `/pan/${encodeURIComponent(requestId)}`),
  };
}

/** The provider client of the configuration, with its circuit breaker in PostgreSQL. */
export function kycProviderFromConfig(config: Config, db: Db): KycProviderClient {
  return createKycProviderClient({
    baseUrl: config.providers.kycBaseUrl,
    timeoutMs: config.kyc.providerTimeoutMs,
    breakers: new CircuitBreakers(db, {
      threshold: config.kyc.breaker.failures,
      cooldownMs: config.kyc.breaker.cooldownSeconds * 1000,
    }),
    circuit: KYC_CIRCUIT,
  });
}
