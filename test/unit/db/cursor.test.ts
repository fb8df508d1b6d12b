import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idCursor, seqCursor, timeSeqCursor } from '../../../src/db/cursor';

const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('id cursors (users, top-ups, recharges)', () => {
  test('a cursor reads back to the id it was written for, URL-safe', () => {
    for (const id of ['usr_abc123', 'tpu_0123456789abcdef0123456789', 'x'.repeat(64)]) {
      assert.equal(idCursor.decode(idCursor.encode(id)), id);
    }
    assert.match(idCursor.encode('usr_abc123'), /^[A-Za-z0-9_-]+$/);
  });

  test('anything else is not a cursor', () => {
    const bad = ['', '%%', b64("usr_1' or 1=1"), b64('x'.repeat(65)), b64('a/b'), b64('a\u0000b'), 'x'.repeat(513)];
    for (const c of bad) assert.equal(idCursor.decode(c), undefined, c);
  });

  test('only the canonical encoding counts: padding, junk and stray bits are refused', () => {
    const c = idCursor.encode('usr_ab'); // 6 bytes: no padding needed
    assert.equal(idCursor.decode(`${c}==`), undefined);
    assert.equal(idCursor.decode(`${c}!`), undefined);
    const odd = idCursor.encode('usr_a'); // 5 bytes: the last character carries spare bits
    const last = odd.at(-1)!;
    const sibling = `${odd.slice(0, -1)}${String.fromCharCode(last.charCodeAt(0) + 1)}`;
    assert.equal(Buffer.from(sibling, 'base64url').toString(), 'usr_a', 'decodes to the same bytes');
    assert.equal(idCursor.decode(sibling), undefined);
  });
});

describe('sequence cursors (the audit log)', () => {
  test('positive int8 values read back', () => {
    for (const n of [1n, 42n, 2n ** 63n - 1n]) assert.equal(seqCursor.decode(seqCursor.encode(n)), n);
  });

  test('the 19-digit cursor of issue 10, and every other value outside int8, is refused', () => {
    for (const text of ['9999999999999999999', '9223372036854775808', '0', '-1', '01', '1.5', '1e3', ' 1', '']) {
      assert.equal(seqCursor.decode(b64(text)), undefined, text);
    }
  });
});

describe('time-and-sequence cursors (wallet statements)', () => {
  test('a position reads back to the millisecond', () => {
    const at = new Date('2026-11-22T10:00:00.123Z');
    assert.deepEqual(timeSeqCursor.decode(timeSeqCursor.encode({ at, seq: 7n })), { at, seq: 7n });
    const last = { at: new Date(8_640_000_000_000_000), seq: 2n ** 63n - 1n };
    assert.deepEqual(timeSeqCursor.decode(timeSeqCursor.encode(last)), last, 'the extremes of both ranges');
  });

  test('the crafted cursors of issue 10 are refused: a time past Date, a sequence past int8', () => {
    assert.equal(Buffer.from('OTk5OTk5OTk5OTk5OTk5OTkuMQ', 'base64url').toString(), '99999999999999999.1');
    assert.equal(timeSeqCursor.decode('OTk5OTk5OTk5OTk5OTk5OTkuMQ'), undefined);
    assert.equal(Buffer.from('MS45OTk5OTk5OTk5OTk5OTk5OTk5OQ', 'base64url').toString(), '1.99999999999999999999');
    assert.equal(timeSeqCursor.decode('MS45OTk5OTk5OTk5OTk5OTk5OTk5OQ'), undefined);
  });

  test('every decoded time is a valid Date and every sequence fits int8', () => {
    const bad = [
      '8640000000000001.1',
      '1.9223372036854775808',
      '-1.1',
      '1.-1',
      '1.',
      '.1',
      '1',
      '1.1.1',
      '01.1',
      '1e3.1',
    ];
    for (const text of bad) assert.equal(timeSeqCursor.decode(b64(text)), undefined, text);
  });
});
