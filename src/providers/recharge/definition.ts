import { z } from 'zod';

/**
 * A recharge provider described as data (stored in recharge_providers.definition): how to call
 * it, how to read its answers and callbacks. One generic adapter (http-provider.ts) runs any
 * definition, so a new provider is a new row, not new code. Definitions hold no secrets, only
 * the names of the PROVIDER_* variables that do.
 */

/** A dotted path into a parsed answer, e.g. "data.txn_id" (a literal key with dots wins). */
const fieldPath = z.string().min(1).max(200);
const secretName = z.string().regex(/^PROVIDER_[A-Z0-9_]+$/, 'a PROVIDER_* environment variable name');
const httpStatus = z.number().int().min(100).max(599);
const codeList = z.array(z.string().min(1)).default([]);

const credential = z.union([
  /** Sent as this HTTP header. */
  z.strictObject({ header: z.string().min(1).max(100), env: secretName }),
  /** Sent as a parameter, wherever the operation sends its parameters (JSON body, form, query). */
  z.strictObject({ param: z.string().min(1).max(100), env: secretName }),
]);

const requestShape = {
  method: z.enum(['GET', 'POST']),
  /** Appended to baseUrl; may contain {clientRef}. */
  path: z.string().startsWith('/').max(300),
  encoding: z.enum(['json', 'form', 'query']),
  /** Parameters sent as is with every call of this operation (e.g. format=json). */
  constants: z.record(z.string().min(1), z.string()).default({}),
};

function placeholders(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

function checkRequest(r: { method: string; path: string; encoding: string }, ctx: z.RefinementCtx): void {
  if (r.method === 'GET' && r.encoding !== 'query') {
    ctx.addIssue({ code: 'custom', path: ['encoding'], message: 'GET sends its parameters in the query' });
  }
  for (const p of placeholders(r.path)) {
    if (p !== 'clientRef') ctx.addIssue({ code: 'custom', path: ['path'], message: `unknown placeholder {${p}}` });
  }
}

const submitRequest = z
  .strictObject({
    ...requestShape,
    /** Their parameter name for each of our fields; circle is sent only when mapped and given. */
    fields: z.strictObject({
      clientRef: z.string().min(1),
      operator: z.string().min(1),
      subscriber: z.string().min(1),
      amount: z.string().min(1),
      circle: z.string().min(1).optional(),
    }),
  })
  .superRefine(checkRequest);

const statusRequest = z
  .strictObject({
    ...requestShape,
    /** Their parameter name for our clientRef, unless the path carries {clientRef}. */
    fields: z.strictObject({ clientRef: z.string().min(1).optional() }).default({}),
  })
  .superRefine(checkRequest)
  .refine((r) => r.fields.clientRef !== undefined || placeholders(r.path).includes('clientRef'), {
    message: 'the status request must carry the clientRef (a field or {clientRef} in the path)',
    path: ['fields', 'clientRef'],
  });

const statusCodes = z
  .strictObject({
    success: z.array(z.string().min(1)).min(1),
    pending: codeList,
    failed: z.array(z.string().min(1)).min(1),
    reversed: codeList,
  })
  .refine((c) => {
    const all = [...c.success, ...c.pending, ...c.failed, ...c.reversed];
    return new Set(all).size === all.length;
  }, 'a status code may mean one thing only');

const resultFields = {
  providerTxnId: fieldPath.optional(),
  operatorRef: fieldPath.optional(),
  errorCode: fieldPath.optional(),
  message: fieldPath.optional(),
};

const response = z.strictObject({
  format: z.enum(['json', 'form']).default('json'),
  fields: z.strictObject({ status: fieldPath, ...resultFields }),
  /** What the status field's values mean (callbacks use the same codes). */
  codes: statusCodes,
  /** Error codes of a failure that another provider would fail too (invalid number or amount): no failover. */
  subscriberFaults: codeList,
  /**
   * Error codes about our call rather than the transaction (bad credentials, bad parameters): a
   * submission refused so failed (provider side), but a status check refused so says nothing.
   */
  callErrorCodes: codeList,
  /** Error codes of a submission refused because the provider already has this clientRef: its status decides. */
  duplicateCodes: codeList,
  /** How a status check says it never received the clientRef. */
  notFound: z
    .strictObject({ httpStatuses: z.array(httpStatus).default([]), errorCodes: codeList, statusCodes: codeList })
    .default({ httpStatuses: [], errorCodes: [], statusCodes: [] }),
  /** HTTP statuses that mean the provider refused before processing (safe to fail over). */
  unavailableHttpStatuses: z.array(httpStatus).default([503]),
});

const callback = z.strictObject({
  format: z.enum(['json', 'form']),
  fields: z.strictObject({ clientRef: fieldPath, status: fieldPath, ...resultFields }),
  /** HMAC over the exact raw body, in this header; an unsigned or wrongly signed callback is rejected. */
  signature: z.strictObject({
    header: z.string().min(1).max(100),
    algorithm: z.literal('hmac-sha256').default('hmac-sha256'),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    secretEnv: secretName,
  }),
});

/** The operator lookup (HLR / MNP) some providers offer: which operator and circle serve a number now. */
const lookup = z
  .strictObject({
    ...requestShape,
    fields: z.strictObject({ subscriber: z.string().min(1) }),
    response: z.strictObject({
      format: z.enum(['json', 'form']).default('json'),
      /** The operator in the provider's codes (the definition's operators map, read backwards). */
      fields: z.strictObject({ operator: fieldPath, circle: fieldPath.optional() }),
      notFoundHttpStatuses: z.array(httpStatus).default([404]),
    }),
  })
  .superRefine(checkRequest);

/** The provider's prepaid balance with it, and the level below which operations are alerted. */
const balance = z
  .strictObject({
    ...requestShape,
    response: z.strictObject({
      format: z.enum(['json', 'form']).default('json'),
      fields: z.strictObject({ balance: fieldPath }),
      /** paise: an integer; rupees: "1234.50" or 1234.5 (at most two decimals). */
      unit: z.enum(['paise', 'rupees']),
    }),
    /** Operations are alerted once each time the balance falls below this (paise). */
    alertBelowPaise: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  })
  .superRefine(checkRequest);

export const providerDefinitionSchema = z
  .strictObject({
    /** May start with a {placeholder} resolved at load time, e.g. "{operatorBaseUrl}/alpha". */
    baseUrl: z.string().min(1).max(500),
    timeoutMs: z.number().int().min(50).max(120_000).default(10_000),
    credentials: z.array(credential).default([]),
    /** Our operator code → theirs; an operator missing here is not served by this provider. */
    operators: z.record(z.string().regex(/^[A-Z0-9]+$/), z.string().min(1)),
    amount: z
      .strictObject({
        unit: z.enum(['paise', 'rupees']),
        /** integer: a whole number (a JSON number); decimal: "199.00" (a string), rupees only. */
        format: z.enum(['integer', 'decimal']),
      })
      .refine((a) => a.unit === 'rupees' || a.format === 'integer', 'paise are always an integer'),
    submit: submitRequest,
    status: statusRequest,
    response,
    callback,
    lookup: lookup.optional(),
    balance: balance.optional(),
  })
  .superRefine((d, ctx) => {
    const credentialParams = d.credentials.flatMap((c) => ('param' in c ? [c.param] : []));
    const taken = [...Object.values(d.submit.fields), ...Object.keys(d.submit.constants)];
    for (const p of credentialParams.filter((p) => taken.includes(p))) {
      ctx.addIssue({ code: 'custom', path: ['credentials'], message: `parameter ${p} is also a request field` });
    }
  });

export type ProviderDefinition = z.output<typeof providerDefinitionSchema>;
export type ProviderDefinitionInput = z.input<typeof providerDefinitionSchema>;

export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}

/** Parses a stored definition; a bad one throws ProviderConfigError naming every problem. */
export function parseDefinition(name: string, raw: unknown): ProviderDefinition {
  const parsed = providerDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(definition)'}: ${i.message}`);
    throw new ProviderConfigError(`provider ${name}: invalid definition: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** What a definition needs from the deployment: placeholder values and PROVIDER_* secrets. */
export interface ProviderEnvironment {
  /** Substituted for {name} in baseUrl, e.g. operatorBaseUrl. */
  placeholders: Readonly<Record<string, string>>;
  /** PROVIDER_* variable values (config.providers.credentials). */
  secrets: Readonly<Record<string, string>>;
  /** Caps every provider's request timeout (RECHARGE_PROVIDER_TIMEOUT_MS), e.g. in tests. */
  maxTimeoutMs?: number;
}

export function resolveBaseUrl(name: string, template: string, env: ProviderEnvironment): string {
  const url = template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    const value = env.placeholders[key];
    if (value === undefined) throw new ProviderConfigError(`provider ${name}: unknown placeholder {${key}} in baseUrl`);
    return value.replace(/\/$/, '');
  });
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new ProviderConfigError(`provider ${name}: baseUrl ${url} is not an http(s) URL`);
  }
  return url.replace(/\/$/, '');
}

export function resolveSecret(name: string, variable: string, env: ProviderEnvironment): string {
  const value = env.secrets[variable];
  if (!value) throw new ProviderConfigError(`provider ${name}: ${variable} is not set`);
  return value;
}
