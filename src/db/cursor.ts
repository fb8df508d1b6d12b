/**
 * Keyset-pagination cursors: opaque to clients (base64url), naming the last row of a page by its
 * key. Every paginated list encodes and decodes its cursors here. A cursor is client input, so
 * decoding checks that each part fits the column it will be compared with (an id's alphabet, int8,
 * a time that both JavaScript and PostgreSQL represent): a crafted cursor is refused before it
 * reaches SQL. Decoders answer undefined for anything this module did not encode.
 */

export interface CursorCodec<T> {
  encode(key: T): string;
  decode(cursor: string): T | undefined;
}

const INT8_MAX = 2n ** 63n - 1n;
/** The latest time a JavaScript Date holds (year 275760); PostgreSQL's timestamptz reaches 294276. */
const MAX_TIME_MS = 8_640_000_000_000_000;

const toText = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

/** The text a cursor encodes, only if the cursor is exactly what toText writes for it. */
function fromText(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Buffer.from skips what is not base64 and ignores stray trailing bits: only the canonical
  // encoding of the text counts, so one position has one cursor.
  return toText(text) === cursor ? text : undefined;
}

/** A non-negative int8 written in decimal without leading zeros. */
function int8(digits: string): bigint | undefined {
  if (!/^(0|[1-9][0-9]{0,18})$/.test(digits)) return undefined;
  const n = BigInt(digits);
  return n <= INT8_MAX ? n : undefined;
}

/** Lists ordered by (created_at, id) whose cursor names the last row's id (users, top-ups, recharges). */
export const idCursor: CursorCodec<string> = {
  encode: (id) => toText(id),
  decode(cursor) {
    const id = fromText(cursor);
    return id !== undefined && /^[A-Za-z0-9_]{1,64}$/.test(id) ? id : undefined;
  },
};

/** Lists ordered by a positive bigserial (the audit log). */
export const seqCursor: CursorCodec<bigint> = {
  encode: (seq) => toText(seq.toString()),
  decode(cursor) {
    const text = fromText(cursor);
    const seq = text === undefined ? undefined : int8(text);
    return seq !== undefined && seq > 0n ? seq : undefined;
  },
};

/** Lists ordered by (time, seq) where the time has millisecond precision (ledger statements). */
export const timeSeqCursor: CursorCodec<{ at: Date; seq: bigint }> = {
  encode: ({ at, seq }) => toText(`${at.getTime()}.${seq}`),
  decode(cursor) {
    const m = /^(0|[1-9][0-9]{0,15})\.([0-9]+)$/.exec(fromText(cursor) ?? '');
    if (!m) return undefined;
    const ms = Number(m[1]);
    const seq = int8(m[2]!);
    if (ms > MAX_TIME_MS || seq === undefined) return undefined;
    return { at: new Date(ms), seq };
  },
};
