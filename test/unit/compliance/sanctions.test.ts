import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  levenshtein,
  normalizeName,
  parseWatchlist,
  similarity,
  WatchlistFormatError,
  WatchlistMatcher,
  type WatchlistEntry,
} from '../../../src/compliance/sanctions';

const entry = (name: string, aliases: string[] = [], list = 'TEST'): WatchlistEntry => ({
  line: 2,
  list,
  name,
  aliases,
  country: null,
  listedOn: null,
});

describe('normalizeName', () => {
  test('case, spacing, punctuation, diacritics and word order do not matter', () => {
    const same = [
      'Zorvath Imbrecke',
      '  zorvath   IMBRECKE ',
      'Imbrecke, Zorvath',
      'Zórváth Ímbrëcke',
      'ZORVATH-IMBRECKE.',
    ];
    for (const n of same) assert.equal(normalizeName(n), 'imbrecke zorvath', n);
  });

  test('compatibility forms fold (NFKD): full-width letters and ligatures', () => {
    assert.equal(normalizeName('Ｚｏｒｖａｔｈ'), 'zorvath');
    assert.equal(normalizeName('ﬁnn'), 'finn');
  });

  test('nothing but punctuation is empty', () => {
    assert.equal(normalizeName(' -.,;" '), '');
  });
});

describe('similarity', () => {
  test('levenshtein', () => {
    assert.equal(levenshtein('kitten', 'sitting'), 3);
    assert.equal(levenshtein('', 'abc'), 3);
    assert.equal(levenshtein('abc', 'abc'), 0);
  });

  test('1 - distance / longer length; empty is 0', () => {
    assert.equal(similarity('abcdefghij', 'abcdefghij'), 1);
    assert.equal(similarity('abcdefghij', 'abcdefghix'), 0.9);
    assert.equal(similarity('', ''), 0);
    assert.equal(similarity('a', ''), 0);
  });
});

describe('WatchlistMatcher', () => {
  const matcher = new WatchlistMatcher(
    [entry('Zorvath Imbrecke', ['Zorvat Imbreke']), entry('Oskander Vyrtmann', [], 'OTHER')],
    0.9,
  );

  test('an exact, reordered or accented name hits', () => {
    for (const n of ['Zorvath Imbrecke', 'IMBRECKE Zorvath', 'Zörvath Imbrécke']) {
      const hits = matcher.match(n);
      assert.equal(hits.length, 1, n);
      assert.equal(hits[0]!.entryName, 'Zorvath Imbrecke');
      assert.equal(hits[0]!.score, 1);
    }
  });

  test('one typo in a long name hits; the threshold is inclusive and configurable', () => {
    // "oskander vyrtmann" is 17 characters: one substitution scores 16/17 = 0.941.
    const hits = matcher.match('Oskandar Vyrtmann');
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.list, 'OTHER');
    assert.ok(Math.abs(hits[0]!.score - 16 / 17) < 1e-9);
    assert.equal(new WatchlistMatcher([entry('Oskander Vyrtmann')], 16 / 17).match('Oskandar Vyrtmann').length, 1);
    assert.equal(new WatchlistMatcher([entry('Oskander Vyrtmann')], 0.95).match('Oskandar Vyrtmann').length, 0);
  });

  test('an alias hits, reported once per entry with its best name', () => {
    const hits = matcher.match('Zorvat Imbreke');
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.matched, 'Zorvat Imbreke');
    assert.equal(hits[0]!.score, 1);
  });

  test('different names, a shared surname or a name inside a longer one do not hit', () => {
    for (const n of [
      'Ravi Kumar',
      'Zorvath Sharma',
      'Zorvath Imbrecke Pharmaceuticals Private Limited',
      'Imbrecke',
      '',
    ]) {
      assert.deepEqual(matcher.match(n), [], n);
    }
  });
});

describe('parseWatchlist', () => {
  test('the documented layout, quoted aliases split on ;, columns in any order, comments skipped', () => {
    const entries = parseWatchlist(
      '# comment\nname,list,aliases,country,listed_on,remarks\r\n"Bout, Viktor",OFAC-SDN,"Victor Butt; Viktor Budd",RU,2008-03-06,x\n\nJane Roe,UN,,,\n',
    );
    assert.deepEqual(entries, [
      {
        line: 3,
        list: 'OFAC-SDN',
        name: 'Bout, Viktor',
        aliases: ['Victor Butt', 'Viktor Budd'],
        country: 'RU',
        listedOn: '2008-03-06',
      },
      { line: 5, list: 'UN', name: 'Jane Roe', aliases: [], country: null, listedOn: null },
    ]);
  });

  test('any bad line refuses the whole file, naming the lines', () => {
    const bad = 'list,name\nOK,Jane Roe\n,No List\nUN,"unbalanced\nUN,--\n';
    assert.throws(
      () => parseWatchlist(bad),
      (err: unknown) => err instanceof WatchlistFormatError && err.problems.map((p) => p.line).join() === '3,4,5',
    );
    assert.throws(() => parseWatchlist('list,name,listed_on\nUN,Jane Roe,06/03/2008\n'), WatchlistFormatError);
    assert.throws(() => parseWatchlist('list,country\nUN,IN\n'), WatchlistFormatError);
    assert.throws(() => parseWatchlist(''), WatchlistFormatError);
  });

  test('the shipped sample parses', () => {
    const text = fs.readFileSync(path.resolve(__dirname, '../../../data/watchlist-sample.csv'), 'utf8');
    const entries = parseWatchlist(text);
    assert.ok(entries.length >= 5);
    assert.ok(entries.some((e) => e.name === 'Élodie Varnesque-Thibaud'));
  });
});
