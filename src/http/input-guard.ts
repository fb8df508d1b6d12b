import type { RequestHandler } from 'express';
import { AppError } from '../errors';

/**
 * Text PostgreSQL cannot store: NUL (text and jsonb refuse it) and UTF-16 surrogates without their
 * pair (no UTF-8 encoding exists; jsonb refuses the escape and text would silently store U+FFFD).
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Deeper than any request the API defines; deep enough nesting overflows recursive code (hashing, logging). */
export const MAX_INPUT_DEPTH = 32;
const MAX_REPORTED = 20;

export interface BadField {
  path: string;
  message: string;
}

function problemOf(s: string): string | undefined {
  const m = unstorable.exec(s);
  if (!m) return undefined;
  return m[0] === '\u0000' ? 'contains a NUL character (U+0000)' : 'contains an unpaired UTF-16 surrogate';
}

/**
 * The fields of parsed input (a JSON body, a query, route parameters) that the API refuses
 * whatever the route: strings and field names that cannot be stored, nesting deeper than
 * MAX_INPUT_DEPTH. Paths read like the validation errors' (`body.items.0.note`). Iterative, so
 * that hostile nesting cannot overflow the stack here either.
 */
export function unstorableFields(value: unknown, where: string): BadField[] {
  const bad: BadField[] = [];
  const todo: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: where, depth: 0 }];
  while (todo.length > 0 && bad.length < MAX_REPORTED) {
    const { value: v, path, depth } = todo.pop()!;
    if (typeof v === 'string') {
      const problem = problemOf(v);
      if (problem) bad.push({ path, message: problem });
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_INPUT_DEPTH) {
        bad.push({ path, message: `nested deeper than ${MAX_INPUT_DEPTH} levels` });
        continue;
      }
      for (const [key, child] of Object.entries(v)) {
        const problem = problemOf(key);
        // The path echoes field names back: never with the characters that were refused.
        const childPath = `${path}.${problem ? key.replace(new RegExp(unstorable, 'g'), '\ufffd') : key}`;
        if (problem) bad.push({ path: childPath, message: `field name ${problem}` });
        todo.push({ value: child, path: childPath, depth: depth + 1 });
      }
    }
  }
  return bad;
}

/** Throws the 400 that names every such field of the given parsed inputs. */
export function assertStorable(inputs: Record<string, unknown>): void {
  const fields = Object.entries(inputs).flatMap(([where, value]) => unstorableFields(value, where));
  if (fields.length > 0) {
    throw new AppError('VALIDATION_FAILED', 'The request holds text that cannot be stored, or nests too deeply', {
      fields,
    });
  }
}

/** Refuses, for every route at once, a parsed query or body that holds what unstorableFields finds. */
export function refuseUnstorableInput(): RequestHandler {
  return (req, _res, next) => {
    assertStorable({ query: req.query, body: req.body });
    next();
  };
}
