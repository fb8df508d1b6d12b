import type { Response } from 'express';

/**
 * One CSV field. Text a spreadsheet would run as a formula (starting with = + - @ tab or CR) is
 * prefixed with ' ; plain numbers, negative ones too, stay numbers.
 */
export function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v);
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?[0-9]+(\.[0-9]+)?$/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine<T extends object>(columns: readonly (keyof T & string)[], row: T): string {
  return `${columns.map((c) => csvCell(row[c])).join(',')}\n`;
}

/** Whether the request asks for CSV rather than JSON. */
export function wantsCsv(req: { accepts(types: string[]): string | false }): boolean {
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

class ClientGone extends Error {}

/** Resolves once the response can take more, or is closed. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Streams rows as CSV, waiting for the client to drain before producing more, so memory stays
 * constant however many rows there are. The header goes out with the first row, so an error
 * before any row still gets the JSON error answer; an error after it aborts the connection
 * (a truncated download is then visibly broken, never a silently short file).
 */
export async function streamCsv<T extends object>(
  res: Response,
  filename: string,
  columns: readonly (keyof T & string)[],
  rows: AsyncIterable<T>,
): Promise<void> {
  const iterator = rows[Symbol.asyncIterator]();
  const first = await iterator.next();
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  res.setHeader('Cache-Control', 'no-store');
  const write = async (chunk: string) => {
    if (!res.write(chunk)) await drained(res);
    if (res.destroyed) throw new ClientGone();
  };
  try {
    let buffer = `${columns.join(',')}\n`;
    for (let r = first; !r.done; r = await iterator.next()) {
      buffer += csvLine(columns, r.value);
      if (buffer.length >= 64 * 1024) {
        await write(buffer);
        buffer = '';
      }
    }
    if (buffer) await write(buffer);
    res.end();
  } catch (err) {
    await iterator.return?.();
    res.destroy();
    if (!(err instanceof ClientGone)) throw err;
  }
}

export async function* mapRows<T, U>(rows: AsyncIterable<T>, f: (row: T) => U): AsyncGenerator<U> {
  for await (const row of rows) yield f(row);
}
