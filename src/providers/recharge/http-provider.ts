import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  ProviderConfigError,
  resolveBaseUrl,
  resolveSecret,
  type ProviderDefinition,
  type ProviderEnvironment,
} from './definition';
import {
  CallbackRejected,
  type ProviderCall,
  type BalanceResult,
  type LookupResult,
  type ProviderExchange,
  type ProviderResult,
  type RechargeProvider,
  type RechargeRequest,
} from './types';

/** What replaces a credential wherever an exchange is kept. */
export const MASK = '****';

/** An HMAC key anyone could guess is no signature. */
const MIN_CALLBACK_SECRET_LENGTH = 16;

/** Kept bodies are cut here; the whole body is still parsed. */
const KEPT_BODY_CHARS = 64 * 1024;

/** Connection errors that happen before a request is sent: the provider never saw it. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

type Operation = 'submit' | 'status';
type Params = Record<string, string | number>;
type Credential = { header: string; value: string } | { param: string; value: string };
type RequestSpec =
  | ProviderDefinition['submit']
  | ProviderDefinition['status']
  | NonNullable<ProviderDefinition['lookup']>
  | NonNullable<ProviderDefinition['balance']>;
type ResultFields = Partial<Record<'status' | 'providerTxnId' | 'operatorRef' | 'errorCode' | 'message', string>>;
type Wire = ProviderExchange['request'];

function keep(body: string): string {
  return body.length > KEPT_BODY_CHARS ? `${body.slice(0, KEPT_BODY_CHARS)}…[truncated]` : body;
}

/** A scalar as trimmed text; empty, missing or structured values are null. */
function text(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function at(doc: unknown, path: string): unknown {
  if (doc === null || typeof doc !== 'object') return undefined;
  const obj = doc as Record<string, unknown>;
  if (Object.hasOwn(obj, path)) return obj[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  return at(obj[path.slice(0, dot)], path.slice(dot + 1));
}

function parseBody(format: 'json' | 'form', body: string): unknown {
  if (format === 'form') return Object.fromEntries(new URLSearchParams(body));
  try {
    const doc: unknown = JSON.parse(body);
    return doc !== null && typeof doc === 'object' ? doc : undefined;
  } catch {
    return undefined;
  }
}

function readFields(doc: unknown, paths: Partial<Record<keyof ResultFields, string>>): ResultFields {
  const out: ResultFields = {};
  for (const [field, path] of Object.entries(paths) as Array<[keyof ResultFields, string]>) {
    const v = text(at(doc, path));
    if (v !== null) out[field] = v;
  }
  return out;
}

export function formatAmount(paise: bigint, spec: ProviderDefinition['amount']): string | number | undefined {
  if (spec.unit === 'paise') return paise <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(paise) : undefined;
  const rupees = paise / 100n;
  const rest = paise % 100n;
  if (spec.format === 'decimal') return `${rupees}.${String(rest).padStart(2, '0')}`;
  return rest === 0n ? Number(rupees) : undefined;
}

/** "1234.5" rupees or "123450" paise as paise; a negative, fractional-paise or malformed amount is undefined. */
export function parseMoney(raw: string, unit: 'paise' | 'rupees'): bigint | undefined {
  if (unit === 'paise') return /^\d{1,18}$/.test(raw) ? BigInt(raw) : undefined;
  const m = /^(\d{1,16})(?:\.(\d{1,2}))?$/.exec(raw);
  return m ? BigInt(m[1]!) * 100n + BigInt((m[2] ?? '0').padEnd(2, '0')) : undefined;
}

function networkCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown; errors?: Array<{ code?: unknown }> } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeError(err: unknown): string {
  const code = networkCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code ? `${message} (${code})` : message;
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === wanted) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/**
 * The one recharge provider adapter: everything provider-specific comes from the definition.
 * The constructor throws ProviderConfigError naming every missing secret or placeholder.
 */
export class HttpRechargeProvider implements RechargeProvider {
  private readonly baseUrl: string;
  private readonly credentials: Credential[];
  private readonly callbackSecret: string;

  constructor(
    readonly name: string,
    private readonly def: ProviderDefinition,
    env: ProviderEnvironment,
  ) {
    // Every problem at once, so a deployment fixes its configuration in one go.
    const problems: string[] = [];
    const resolve = (f: () => string): string => {
      try {
        return f();
      } catch (err) {
        if (!(err instanceof ProviderConfigError)) throw err;
        problems.push(err.message);
        return '';
      }
    };
    this.baseUrl = resolve(() => resolveBaseUrl(name, def.baseUrl, env));
    this.credentials = def.credentials.map((c) => {
      const value = resolve(() => resolveSecret(name, c.env, env));
      return 'header' in c ? { header: c.header, value } : { param: c.param, value };
    });
    const { secretEnv } = def.callback.signature;
    this.callbackSecret = resolve(() => resolveSecret(name, secretEnv, env));
    if (this.callbackSecret && this.callbackSecret.length < MIN_CALLBACK_SECRET_LENGTH) {
      problems.push(`provider ${name}: ${secretEnv} is shorter than ${MIN_CALLBACK_SECRET_LENGTH} characters`);
    }
    if (problems.length) throw new ProviderConfigError(problems.join('; '));
  }

  supports(operator: string): boolean {
    return Object.hasOwn(this.def.operators, operator);
  }

  async submit(req: RechargeRequest): Promise<ProviderCall> {
    const spec = this.def.submit;
    const operatorCode = this.supports(req.operator) ? this.def.operators[req.operator] : undefined;
    if (operatorCode === undefined) {
      return this.notSent(spec, 'OPERATOR_NOT_SUPPORTED', `operator ${req.operator} is not mapped for ${this.name}`);
    }
    const amount = formatAmount(req.amount, this.def.amount);
    if (amount === undefined) {
      return this.notSent(
        spec,
        'AMOUNT_NOT_SUPPORTED',
        `${req.amount} paise cannot be sent as ${this.def.amount.unit}`,
      );
    }
    const f = spec.fields;
    const params: Params = {
      ...spec.constants,
      [f.clientRef]: req.clientRef,
      [f.operator]: operatorCode,
      [f.subscriber]: req.subscriber,
      [f.amount]: amount,
    };
    if (f.circle && req.circle !== undefined) params[f.circle] = req.circle;
    return this.call('submit', spec, params, req.clientRef);
  }

  async status(clientRef: string): Promise<ProviderCall> {
    const spec = this.def.status;
    const params: Params = { ...spec.constants };
    if (spec.fields.clientRef) params[spec.fields.clientRef] = clientRef;
    return this.call('status', spec, params, clientRef);
  }

  /** The operator and circle serving `subscriber` now (ported numbers included), by the provider's lookup. */
  async lookup(subscriber: string): Promise<LookupResult> {
    const spec = this.def.lookup;
    if (!spec) return { status: 'unknown', reason: `${this.name} has no lookup` };
    const answer = await this.ask(spec, { ...spec.constants, [spec.fields.subscriber]: subscriber });
    if ('reason' in answer) return { status: 'unknown', reason: answer.reason };
    const { httpStatus, body } = answer;
    if (spec.response.notFoundHttpStatuses.includes(httpStatus)) return { status: 'not_found' };
    if (httpStatus !== 200) return { status: 'unknown', reason: `HTTP ${httpStatus}` };
    const doc = parseBody(spec.response.format, body);
    const theirs = text(at(doc, spec.response.fields.operator));
    const operator = Object.entries(this.def.operators).find(([, code]) => code === theirs)?.[0];
    if (operator === undefined) return { status: 'unknown', reason: `unknown operator ${JSON.stringify(theirs)}` };
    const circlePath = spec.response.fields.circle;
    return { status: 'found', operator, circle: circlePath ? text(at(doc, circlePath)) : null };
  }

  /** The prepaid balance with this provider, read by the definition's balance request. */
  async balance(): Promise<BalanceResult> {
    const spec = this.def.balance;
    if (!spec) return { status: 'unknown', reason: `${this.name} has no balance request` };
    const answer = await this.ask(spec, { ...spec.constants });
    if ('reason' in answer) return { status: 'unknown', reason: answer.reason };
    if (answer.httpStatus !== 200) return { status: 'unknown', reason: `HTTP ${answer.httpStatus}` };
    const raw = text(at(parseBody(spec.response.format, answer.body), spec.response.fields.balance));
    const balance = raw === null ? undefined : parseMoney(raw, spec.response.unit);
    if (balance === undefined) return { status: 'unknown', reason: `unreadable balance ${JSON.stringify(raw)}` };
    return { status: 'ok', balance, alertBelow: BigInt(spec.alertBelowPaise) };
  }

  parseCallback(input: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer; url?: string }): {
    clientRef: string;
    result: ProviderResult;
    exchange: ProviderExchange;
  } {
    const cb = this.def.callback;
    const body = input.rawBody.toString('utf8');
    const signature = headerValue(input.headers, cb.signature.header);
    const contentType = headerValue(input.headers, 'content-type');
    const exchange: ProviderExchange = {
      provider: this.name,
      operation: 'callback',
      request: {
        method: 'POST',
        url: input.url ?? '',
        headers: {
          ...(contentType === undefined ? {} : { 'content-type': contentType }),
          ...(signature === undefined ? {} : { [cb.signature.header.toLowerCase()]: signature }),
        },
        body: keep(body),
      },
      response: null,
      error: null,
      durationMs: 0,
      at: new Date(),
    };
    const reject = (why: string): never => {
      throw new CallbackRejected(`${this.name} callback rejected: ${why}`, { ...exchange, error: why });
    };

    if (signature === undefined) return reject(`no ${cb.signature.header} header`);
    const expected = createHmac('sha256', this.callbackSecret).update(input.rawBody).digest(cb.signature.encoding);
    const given = Buffer.from(cb.signature.encoding === 'hex' ? signature.trim().toLowerCase() : signature.trim());
    const wanted = Buffer.from(expected);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return reject('bad signature');

    const doc = parseBody(cb.format, body);
    if (doc === undefined) return reject(`body is not ${cb.format}`);
    const clientRef = text(at(doc, cb.fields.clientRef));
    if (clientRef === null) return reject('no client reference');
    const { clientRef: _clientRef, ...resultPaths } = cb.fields;
    const fields = readFields(doc, resultPaths);
    const result = this.interpret(fields);
    if (!result) return reject(`unrecognised status ${JSON.stringify(fields.status ?? null)}`);
    return { clientRef, result, exchange };
  }

  private async call(op: Operation, spec: RequestSpec, params: Params, clientRef: string): Promise<ProviderCall> {
    const sent = this.build(spec, params, clientRef, false);
    const shown = this.build(spec, params, clientRef, true);
    const at = new Date();
    const started = performance.now();
    const exchange = (response: ProviderExchange['response'], error: string | null): ProviderExchange => ({
      provider: this.name,
      operation: op,
      request: shown,
      response,
      error,
      durationMs: Math.round(performance.now() - started),
      at,
    });

    let status: number;
    let body: string;
    try {
      const res = await fetch(sent.url, {
        method: sent.method,
        headers: sent.headers,
        body: sent.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.def.timeoutMs),
      });
      status = res.status;
      body = await res.text();
    } catch (err) {
      const error = this.scrub(describeError(err));
      return { result: this.failureOf(err), exchange: exchange(null, error) };
    }
    const result = this.classify(op, status, body);
    const error = result.status === 'unknown' || result.status === 'unavailable' ? result.reason : null;
    return { result, exchange: exchange({ status, body: keep(this.scrub(body)) }, error) };
  }

  private failureOf(err: unknown): ProviderResult {
    const name = (err as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return { status: 'unknown', reason: `no answer within ${this.def.timeoutMs} ms` };
    }
    const code = networkCode(err);
    if (code && NOT_SENT.has(code)) return { status: 'unavailable', reason: `connection failed (${code})` };
    return { status: 'unknown', reason: `connection lost (${code ?? describeError(err)})` };
  }

  private classify(op: Operation, httpStatus: number, body: string): ProviderResult {
    const r = this.def.response;
    if (r.unavailableHttpStatuses.includes(httpStatus)) return { status: 'unavailable', reason: `HTTP ${httpStatus}` };
    if (op === 'status' && r.notFound.httpStatuses.includes(httpStatus)) return { status: 'not_found' };
    // A server error may come after the provider acted on the request: only a status check can tell.
    if (httpStatus >= 500) return { status: 'unknown', reason: `HTTP ${httpStatus}` };
    if (httpStatus >= 300 && httpStatus < 400) return { status: 'unknown', reason: `HTTP ${httpStatus} redirect` };
    const doc = parseBody(r.format, body);
    if (doc === undefined) return { status: 'unknown', reason: `unparseable answer (HTTP ${httpStatus})` };
    const fields = readFields(doc, r.fields);
    const errorCode = fields.errorCode;
    if (op === 'submit') {
      if (errorCode !== undefined && r.duplicateCodes.includes(errorCode)) {
        return { status: 'unknown', reason: `the provider already has this clientRef (${errorCode})` };
      }
    } else {
      if (
        (errorCode !== undefined && r.notFound.errorCodes.includes(errorCode)) ||
        (fields.status !== undefined && r.notFound.statusCodes.includes(fields.status))
      ) {
        return { status: 'not_found' };
      }
      // A refused status check (our credentials, our parameters) tells nothing about the recharge.
      if (errorCode !== undefined && r.callErrorCodes.includes(errorCode)) {
        return { status: 'unknown', reason: `status check refused (${errorCode})` };
      }
      if (httpStatus >= 400) return { status: 'unknown', reason: `status check refused (HTTP ${httpStatus})` };
    }
    return (
      this.interpret(fields) ?? {
        status: 'unknown',
        reason: `unrecognised status ${JSON.stringify(fields.status ?? null)} (HTTP ${httpStatus})`,
      }
    );
  }

  /** A provider status in our terms; undefined when the code is not one the definition lists. */
  private interpret(f: ResultFields): ProviderResult | undefined {
    const { codes, subscriberFaults } = this.def.response;
    const code = f.status;
    if (code === undefined) return undefined;
    const providerTxnId = f.providerTxnId ?? null;
    const message = f.message ?? null;
    if (codes.success.includes(code)) {
      return { status: 'success', operatorRef: f.operatorRef ?? null, providerTxnId, message };
    }
    if (codes.pending.includes(code)) return { status: 'pending', providerTxnId, message };
    if (codes.reversed.includes(code)) {
      return { status: 'reversed', operatorRef: f.operatorRef ?? null, providerTxnId, message };
    }
    if (codes.failed.includes(code)) {
      const errorCode = f.errorCode ?? code;
      return {
        status: 'failed',
        fault: subscriberFaults.includes(errorCode) ? 'subscriber' : 'provider',
        code: errorCode,
        message: message ?? '',
        providerTxnId,
      };
    }
    return undefined;
  }

  /** A request outside recharges (lookup, balance): the answer, or why there is none. */
  private async ask(
    spec: RequestSpec,
    params: Params,
  ): Promise<{ httpStatus: number; body: string } | { reason: string }> {
    const sent = this.build(spec, params, '', false);
    try {
      const res = await fetch(sent.url, {
        method: sent.method,
        headers: sent.headers,
        body: sent.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.def.timeoutMs),
      });
      return { httpStatus: res.status, body: await res.text() };
    } catch (err) {
      return { reason: this.scrub(describeError(err)) };
    }
  }

  /** The wire request, with credentials or with MASK in their place. */
  private build(spec: RequestSpec, params: Params, clientRef: string, masked: boolean): Wire {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const all: Params = { ...params };
    for (const c of this.credentials) {
      const value = masked ? MASK : c.value;
      if ('header' in c) headers[c.header] = value;
      else all[c.param] = value;
    }
    const url = new URL(this.baseUrl + spec.path.replaceAll('{clientRef}', encodeURIComponent(clientRef)));
    let body: string | null = null;
    if (spec.encoding === 'query') {
      for (const [k, v] of Object.entries(all)) url.searchParams.set(k, String(v));
    } else if (spec.encoding === 'form') {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(Object.entries(all).map(([k, v]): [string, string] => [k, String(v)])).toString();
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(all);
    }
    return { method: spec.method, url: url.toString(), headers, body };
  }

  /** A provider that echoes a credential back must not get it into the kept exchange. */
  private scrub(s: string): string {
    let out = s;
    for (const c of this.credentials) if (c.value.length >= 4) out = out.replaceAll(c.value, MASK);
    return out;
  }

  private notSent(spec: RequestSpec, code: string, message: string): ProviderCall {
    return {
      result: { status: 'failed', fault: 'provider', code, message, providerTxnId: null },
      exchange: {
        provider: this.name,
        operation: 'submit',
        request: { method: spec.method, url: this.baseUrl + spec.path, headers: {}, body: null },
        response: null,
        error: `not sent: ${message}`,
        durationMs: 0,
        at: new Date(),
      },
    };
  }
}
