import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../../src/errors';
import { csvCell } from '../../../src/reports/csv';
import { fyQuarter, istDate, istDays, isCalendarDate } from '../../../src/reports/period';
import {
  MAX_STATEMENT_LINES,
  parseStatement,
  rupeesToPaise,
  splitCsvLine,
  statementPeriod,
} from '../../../src/reports/reconciliation';

describe('csvCell', () => {
  test('formulas defused, numbers kept, quoting', () => {
    for (const [v, out] of [
      ['=1+2', "'=1+2"],
      ['+cmd', "'+cmd"],
      ['-x', "'-x"],
      ['@SUM(A1)', "'@SUM(A1)"],
      ['\tx', "'\tx"],
      ['\rx', `"'\rx"`],
      ['=HYPERLINK("a")', `"'=HYPERLINK(""a"")"`],
      ['-42', '-42'],
      ['-4.5', '-4.5'],
      ['-1e5', "'-1e5"],
      ['a,b', '"a,b"'],
      ['line\nbreak', '"line\nbreak"'],
    ] as const)
      assert.equal(csvCell(v), out, JSON.stringify(v));
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(12n), '12');
    assert.equal(csvCell(new Date('2026-01-02T03:04:05.006Z')), '2026-01-02T03:04:05.006Z');
  });
});

describe('periods', () => {
  test('IST days and financial-year quarters', () => {
    assert.ok(isCalendarDate('2028-02-29'));
    assert.ok(isCalendarDate('1970-01-01') && isCalendarDate('9999-12-31'));
    for (const d of ['0000-01-01', '1969-12-31', '2026-02-29', '2026-00-10', '2026-1-1', '2026-01-01T00:00:00Z', ''])
      assert.ok(!isCalendarDate(d));
    const { from, to } = istDays('2026-04-01', '2026-04-01');
    assert.equal(from.toISOString(), '2026-03-31T18:30:00.000Z');
    assert.equal(to.toISOString(), '2026-04-01T18:30:00.000Z');
    assert.equal(istDate(new Date('2026-03-31T18:29:59.999Z')), '2026-03-31');
    assert.equal(istDate(new Date('2026-03-31T18:30:00.000Z')), '2026-04-01');
    assert.equal(fyQuarter('2026-04-01'), 'FY2026-27 Q1');
    assert.equal(fyQuarter('2026-06-30'), 'FY2026-27 Q1');
    assert.equal(fyQuarter('2026-07-01'), 'FY2026-27 Q2');
    assert.equal(fyQuarter('2026-12-31'), 'FY2026-27 Q3');
    assert.equal(fyQuarter('2027-01-01'), 'FY2026-27 Q4');
    assert.equal(fyQuarter('2027-03-31'), 'FY2026-27 Q4');
    assert.equal(fyQuarter('2099-05-01'), 'FY2099-00 Q1');
  });
});

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  assert.fail('not refused');
}

describe('provider statements', () => {
  test('fields, quotes and amounts', () => {
    assert.deepEqual(splitCsvLine('a,"b,c","d""e",'), ['a', 'b,c', 'd"e', '']);
    assert.equal(splitCsvLine('"open'), null);
    assert.equal(splitCsvLine('"a"b'), null);
    assert.equal(rupeesToPaise('199'), 19_900n);
    assert.equal(rupeesToPaise('199.5'), 19_950n);
    assert.equal(rupeesToPaise('0.07'), 7n);
    for (const bad of ['1.234', '-1', '1e3', '', ' 1', '1.', '.5']) assert.equal(rupeesToPaise(bad), null, bad);
  });

  test('parsed across chunk boundaries, header columns in any order and case, BOM and CRLF', async () => {
    const lines = await parseStatement(
      chunks(
        '\uFEFFStatus,AMOUNT,clientRef,date\r\nSUCCESS,10',
        '.50,rch_a,2026-04-01\r\n\r\nfailed,1,rch_',
        'b,2026-04-01T20:00:00Z',
      ),
    );
    assert.deepEqual(lines, [
      { line: 2, clientRef: 'rch_a', amount: 1050n, status: 'SUCCESS', date: '2026-04-01', txnId: null },
      { line: 4, clientRef: 'rch_b', amount: 100n, status: 'FAILED', date: '2026-04-02', txnId: null },
    ]);
    assert.deepEqual(statementPeriod(lines, {}), { from: '2026-04-01', to: '2026-04-02' });
    assert.deepEqual(statementPeriod(lines, { from: '2026-03-01' }), { from: '2026-03-01', to: '2026-04-02' });
  });

  test('refused whole, naming each bad line', async () => {
    const e = await refusal(
      parseStatement(
        chunks('clientRef,amount,status\nrch a,1,SUCCESS\nrch_b,1,OK\nrch_c,1,SUCCESS\nrch_d,1.001,FAILED\n'),
      ),
    );
    assert.equal(e.code, 'VALIDATION_FAILED');
    assert.deepEqual(
      (e.details as { fields: Array<{ path: string }> }).fields.map((f) => f.path),
      ['body.line2', 'body.line3', 'body.line5'],
    );
    assert.equal((await refusal(parseStatement(chunks('amount,status\n1,SUCCESS\n')))).code, 'VALIDATION_FAILED');
    assert.equal((await refusal(parseStatement(chunks('')))).code, 'VALIDATION_FAILED');
    assert.equal(
      (await refusal(parseStatement(chunks('clientRef,amount,status\nx\u0000,1,SUCCESS')))).code,
      'VALIDATION_FAILED',
    );
    const invalidUtf8 = (async function* () {
      yield Buffer.from('clientRef,amount,status\n');
      yield Buffer.from([0xff, 0xfe, 0x2c]);
    })();
    assert.equal((await refusal(parseStatement(invalidUtf8))).code, 'VALIDATION_FAILED');
  });

  test('too long a statement is refused, not cut short', async () => {
    assert.equal(MAX_STATEMENT_LINES, 200_000);
    const body = (n: number) => `clientRef,amount,status\n${'r,1,SUCCESS\n'.repeat(n)}`;
    const e = await refusal(parseStatement(chunks(body(11)), 10));
    assert.match(e.message, /exceeds 10 lines/);
    assert.equal((await refusal(parseStatement(chunks(body(10), 'r,1,SUCCESS'), 10))).code, 'VALIDATION_FAILED');
    assert.equal((await parseStatement(chunks(body(10)), 10)).length, 10);
    assert.equal((await parseStatement(chunks(body(MAX_STATEMENT_LINES)))).length, MAX_STATEMENT_LINES);
  });
});
