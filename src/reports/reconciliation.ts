import type { Knex } from 'knex';
import { AppError } from '../errors';
import { cursorRows } from './cursor';
import { isCalendarDate, istDate, istDays } from './period';

/**
 * Provider reconciliation: the provider's own statement (CSV) against our recharges routed to it.
 *
 * The statement has a header row naming at least `clientRef` (our recharge id, which is what we
 * send the provider), `amount` (rupees, at most two decimals, as providers write them) and
 * `status` (SUCCESS, FAILED, PENDING or REVERSED); `date` (YYYY-MM-DD or an ISO time) and `txnId`
 * are optional. Other columns are ignored. A statement that breaks these rules is refused whole
 * (400, with the first bad lines), never half-read.
 */

export const MAX_STATEMENT_LINES = 200_000;
export const MAX_STATEMENT_BYTES = 32 * 1024 * 1024;
const MAX_REPORTED_ERRORS = 20;

export type ProviderStatus = 'SUCCESS' | 'FAILED' | 'PENDING' | 'REVERSED';

export interface StatementLine {
  line: number;
  clientRef: string;
  amount: bigint;
  status: ProviderStatus;
  date: string | null;
  txnId: string | null;
}

export interface Outcome {
  outcome: 'matched' | 'missing_here' | 'missing_there' | 'mismatch';
  /** The statement line (1 = header), null for a recharge only we have. */
  line: number | null;
  rechargeId: string;
  /** What differs, for a mismatch: amount, status, provider (we route it elsewhere) or duplicate. */
  field: 'amount' | 'status' | 'provider' | 'duplicate' | null;
  ourAmount: bigint | null;
  theirAmount: bigint | null;
  ourStatus: string | null;
  theirStatus: ProviderStatus | null;
  txnId: string | null;
}

/** Splits one CSV record; quotes may hold commas and doubled quotes, not line breaks. */
export function splitCsvLine(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return null;
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < text.length && text[i] !== ',') return null;
    } else {
      const c = text.indexOf(',', i);
      field = c < 0 ? text.slice(i) : text.slice(i, c);
      i = c < 0 ? text.length : c;
    }
    out.push(field.trim());
    if (i >= text.length) return out;
    i++; // the comma
  }
}

/** Exact rupees to paise: "199", "199.5", "199.50". */
export function rupeesToPaise(s: string): bigint | null {
  const m = /^([0-9]{1,12})(?:\.([0-9]{1,2}))?$/.exec(s);
  if (!m) return null;
  return BigInt(m[1]!) * 100n + BigInt((m[2] ?? '0').padEnd(2, '0'));
}

const statuses = new Set<string>(['SUCCESS', 'FAILED', 'PENDING', 'REVERSED']);

/** Lines of a text stream, a chunk's worth at a time, refusing a body beyond the byte or line limits. */
async function* textLines(chunks: AsyncIterable<Buffer | string>, maxLines: number): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let lines = 0;
  let rest = '';
  const tooBig = () =>
    new AppError(
      'VALIDATION_FAILED',
      `The statement exceeds ${maxLines} lines or ${MAX_STATEMENT_BYTES} bytes: split it by period`,
      { fields: [{ path: 'body', message: 'statement too large' }] },
    );
  try {
    for await (const chunk of chunks) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buf.length;
      if (bytes > MAX_STATEMENT_BYTES) throw tooBig();
      rest += decoder.decode(buf, { stream: true });
      const parts = rest.split('\n');
      rest = parts.pop()!;
      lines += parts.length;
      if (lines > maxLines + 1) throw tooBig();
      yield parts.map((p) => p.replace(/\r$/, ''));
    }
    rest += decoder.decode();
  } catch (err) {
    if (err instanceof TypeError) throw new AppError('VALIDATION_FAILED', 'The statement is not UTF-8 text');
    throw err;
  }
  if (rest !== '') {
    if (++lines > maxLines + 1) throw tooBig();
    yield [rest.replace(/\r$/, '')];
  }
}

/**
 * Reads and checks a whole statement (at most `maxLines` lines after the header); every problem
 * is reported, none skipped.
 */
export async function parseStatement(
  chunks: AsyncIterable<Buffer | string>,
  maxLines = MAX_STATEMENT_LINES,
): Promise<StatementLine[]> {
  const errors: Array<{ line: number; message: string }> = [];
  const out: StatementLine[] = [];
  let header: string[] | null = null;
  let n = 0;
  const bad = (line: number, message: string) => {
    errors.push({ line, message });
  };
  reading: for await (const batch of textLines(chunks, maxLines)) {
    for (const text of batch) {
      n++;
      if (text.trim() === '') continue;
      if (text.includes('\u0000')) {
        bad(n, 'contains a NUL character');
        continue;
      }
      const cells = splitCsvLine(n === 1 ? text.replace(/^\uFEFF/, '') : text);
      if (!cells) {
        bad(n, 'unbalanced quotes');
        continue;
      }
      if (!header) {
        header = cells.map((c) => c.toLowerCase());
        for (const need of ['clientref', 'amount', 'status'])
          if (!header.includes(need)) bad(n, `the header has no ${need} column`);
        if (errors.length) break reading;
        continue;
      }
      const get = (name: string) => {
        const i = header!.indexOf(name);
        return i < 0 ? undefined : cells[i];
      };
      const clientRef = get('clientref') ?? '';
      const amount = rupeesToPaise(get('amount') ?? '');
      const status = (get('status') ?? '').toUpperCase();
      const rawDate = get('date') ?? '';
      const txnId = get('txnid') || null;
      let date: string | null = null;
      if (rawDate !== '') {
        if (isCalendarDate(rawDate)) date = rawDate;
        else if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}T/.test(rawDate) && !Number.isNaN(Date.parse(rawDate)))
          date = istDate(new Date(rawDate));
      }
      if (!/^[\x21-\x7e]{1,100}$/.test(clientRef)) bad(n, 'clientRef must be 1 to 100 printable characters');
      else if (amount === null) bad(n, 'amount must be rupees with at most two decimals');
      else if (!statuses.has(status)) bad(n, 'status must be SUCCESS, FAILED, PENDING or REVERSED');
      else if (rawDate !== '' && date === null) bad(n, 'date must be YYYY-MM-DD or an ISO time');
      else if (txnId !== null && txnId.length > 100) bad(n, 'txnId is longer than 100 characters');
      else out.push({ line: n, clientRef, amount, status: status as ProviderStatus, date, txnId });
      if (errors.length >= MAX_REPORTED_ERRORS) break reading;
    }
  }
  if (!header && errors.length === 0) bad(1, 'the statement is empty: a header row is needed');
  if (errors.length) {
    throw new AppError('VALIDATION_FAILED', 'The statement has bad lines; nothing was reconciled', {
      fields: errors.map((e) => ({ path: `body.line${e.line}`, message: e.message })),
    });
  }
  return out;
}

export function ourStatusAsProvider(status: string): ProviderStatus {
  if (status === 'success') return 'SUCCESS';
  if (status === 'failed') return 'FAILED';
  if (status === 'reversed') return 'REVERSED';
  return 'PENDING';
}

interface OurRecharge {
  id: string;
  amount: bigint;
  status: string;
  provider: string | null;
}

function compare(ours: OurRecharge, theirs: StatementLine, provider: string): Outcome {
  const base = {
    line: theirs.line,
    rechargeId: theirs.clientRef,
    ourAmount: ours.amount,
    theirAmount: theirs.amount,
    ourStatus: ours.status,
    theirStatus: theirs.status,
    txnId: theirs.txnId,
  };
  if (ours.provider !== provider) {
    // A provider that failed a recharge we then routed elsewhere holds none of its money.
    return theirs.status === 'FAILED'
      ? { ...base, outcome: 'matched', field: null }
      : { ...base, outcome: 'mismatch', field: 'provider' };
  }
  if (ourStatusAsProvider(ours.status) !== theirs.status) return { ...base, outcome: 'mismatch', field: 'status' };
  // A failed recharge moved no money: its amount is not compared.
  if (theirs.status !== 'FAILED' && ours.amount !== theirs.amount)
    return { ...base, outcome: 'mismatch', field: 'amount' };
  return { ...base, outcome: 'matched', field: null };
}

/** The statement's period: the query's IST dates, else the span of the lines' dates. */
export function statementPeriod(
  lines: readonly StatementLine[],
  q: { from?: string; to?: string },
): { from: string; to: string } {
  let first = q.from;
  let last = q.to;
  if (!first || !last) {
    const dates = lines.map((l) => l.date).filter((d): d is string => d !== null);
    if (dates.length === 0 || dates.length !== lines.length) {
      throw new AppError('VALIDATION_FAILED', 'Give from and to, or a date on every statement line', {
        fields: [{ path: 'query.from', message: 'required when the statement lines have no dates' }],
      });
    }
    dates.sort();
    first ??= dates[0]!;
    last ??= dates[dates.length - 1]!;
  }
  if (first > last) {
    throw new AppError('VALIDATION_FAILED', 'from is after to', {
      fields: [{ path: 'query.from', message: 'must not be after to' }],
    });
  }
  return { from: first, to: last };
}

/**
 * Every outcome, statement order for the lines we also have in the period, then the lines we
 * have outside it or not at all, then ours the provider does not list. Our failed recharges the
 * statement leaves out are not reported: nothing was charged for them.
 */
export async function* reconcile(
  db: Knex,
  provider: string,
  lines: readonly StatementLine[],
  period: { from: string; to: string },
): AsyncGenerator<Outcome> {
  const theirs = new Map<string, StatementLine>();
  for (const l of lines) {
    const seen = theirs.get(l.clientRef);
    if (seen) {
      yield {
        outcome: 'mismatch',
        line: l.line,
        rechargeId: l.clientRef,
        field: 'duplicate',
        ourAmount: null,
        theirAmount: l.amount,
        ourStatus: null,
        theirStatus: l.status,
        txnId: l.txnId,
      };
    } else theirs.set(l.clientRef, l);
  }
  const { from, to } = istDays(period.from, period.to);
  const ours = db('recharges')
    .where('provider', provider)
    .andWhere('created_at', '>=', from)
    .andWhere('created_at', '<', to)
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .select('id', 'amount', 'status', 'provider');
  for await (const r of cursorRows<OurRecharge>(db, ours)) {
    const line = theirs.get(r.id);
    if (line) {
      theirs.delete(r.id);
      yield compare(r, line, provider);
    } else if (r.status !== 'failed') {
      yield {
        outcome: 'missing_there',
        line: null,
        rechargeId: r.id,
        field: null,
        ourAmount: r.amount,
        theirAmount: null,
        ourStatus: r.status,
        theirStatus: null,
        txnId: null,
      };
    }
  }
  const rest = [...theirs.values()];
  for (let i = 0; i < rest.length; i += 1000) {
    const chunk = rest.slice(i, i + 1000);
    const found = (await db('recharges')
      .whereIn(
        'id',
        chunk.map((l) => l.clientRef),
      )
      .select('id', 'amount', 'status', 'provider')) as OurRecharge[];
    const byId = new Map(found.map((r) => [r.id, r]));
    for (const l of chunk) {
      const r = byId.get(l.clientRef);
      if (r) yield compare(r, l, provider);
      else
        yield {
          outcome: 'missing_here',
          line: l.line,
          rechargeId: l.clientRef,
          field: null,
          ourAmount: null,
          theirAmount: l.amount,
          ourStatus: null,
          theirStatus: l.status,
          txnId: l.txnId,
        };
    }
  }
}
