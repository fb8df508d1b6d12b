/**
 * Sanctions screening, the pure part: the watchlist's CSV layout, name normalisation and the fuzzy
 * match. Loading the file, storing the list and freezing users live in src/compliance/watchlist.ts.
 *
 * Watchlist CSV (UTF-8, a header row, one entry a line; docs in README.md "Sanctions watchlist"):
 *
 *   list,name,aliases,country,listed_on
 *   OFAC-SDN,Viktor Bout,"Victor Butt;Viktor Budd",RU,2008-03-06
 *
 * `list` names the source list (letters, digits, _ and -), `name` the primary name, `aliases`
 * other names separated by `;`, `country` an optional ISO code, `listed_on` an optional
 * YYYY-MM-DD. Columns may come in any order; other columns are ignored.
 */
import { splitCsvLine } from '../reports/reconciliation';

export interface WatchlistEntry {
  /** The line of the file it came from (1 = the header). */
  line: number;
  list: string;
  name: string;
  aliases: string[];
  country: string | null;
  listedOn: string | null;
}

export interface SanctionsHit {
  list: string;
  entryName: string;
  /** The entry's name or alias that matched. */
  matched: string;
  /** Similarity of the normalised names, 0 to 1. */
  score: number;
}

export const watchlistColumns = ['list', 'name', 'aliases', 'country', 'listed_on'] as const;

/**
 * A name as compared: compatibility-decomposed (NFKD) with its combining marks dropped, so
 * "Müller" is "muller"; lower case; anything but letters and digits a separator; the words sorted,
 * so "Bout, Viktor" is "Viktor Bout".
 */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '')
    .sort()
    .join(' ');
}

/** Levenshtein distance (insertions, deletions, substitutions), by code point. */
export function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[y.length]!;
}

/** 1 - distance / longer length, of two normalised names; 0 when either is empty. */
export function similarity(a: string, b: string): number {
  const longer = Math.max([...a].length, [...b].length);
  if (longer === 0 || a === '' || b === '') return 0;
  return 1 - levenshtein(a, b) / longer;
}

interface Candidate {
  entry: WatchlistEntry;
  original: string;
  normalized: string;
  length: number;
}

/** A watchlist prepared for matching: every name and alias normalised once. */
export class WatchlistMatcher {
  private readonly candidates: Candidate[];

  constructor(
    entries: readonly WatchlistEntry[],
    /** A hit needs at least this similarity (SANCTIONS_MATCH_THRESHOLD). */
    readonly threshold: number,
  ) {
    this.candidates = entries.flatMap((entry) =>
      [entry.name, ...entry.aliases]
        .map((original) => ({ entry, original, normalized: normalizeName(original) }))
        .filter((c) => c.normalized !== '')
        .map((c) => ({ ...c, length: [...c.normalized].length })),
    );
  }

  get size(): number {
    return this.candidates.length;
  }

  /** The entries a name matches, each once (its best-matching name or alias), best first. */
  match(name: string): SanctionsHit[] {
    const n = normalizeName(name);
    const length = [...n].length;
    if (length === 0) return [];
    const best = new Map<WatchlistEntry, SanctionsHit>();
    for (const c of this.candidates) {
      // The distance is at least the difference in length: skip what cannot reach the threshold.
      if (Math.abs(c.length - length) > (1 - this.threshold) * Math.max(c.length, length)) continue;
      const score = similarity(n, c.normalized);
      if (score < this.threshold) continue;
      const seen = best.get(c.entry);
      if (!seen || score > seen.score) {
        best.set(c.entry, { list: c.entry.list, entryName: c.entry.name, matched: c.original, score });
      }
    }
    return [...best.values()].sort((a, b) => b.score - a.score || a.list.localeCompare(b.list));
  }
}

export class WatchlistFormatError extends Error {
  override name = 'WatchlistFormatError';
  constructor(readonly problems: Array<{ line: number; message: string }>) {
    super(`The watchlist has bad lines: ${problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`);
  }
}

const listPattern = /^[A-Za-z0-9_-]{1,64}$/;
const datePattern = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/** Parses a whole watchlist file; any bad line refuses the whole file (a half-loaded list screens nobody properly). */
export function parseWatchlist(text: string): WatchlistEntry[] {
  const problems: Array<{ line: number; message: string }> = [];
  const entries: WatchlistEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  let header: string[] | null = null;
  lines.forEach((raw, i) => {
    const n = i + 1;
    const text = raw.replace(/\r$/, '');
    if (text.trim() === '' || text.startsWith('#')) return;
    const cells = splitCsvLine(text);
    if (!cells) {
      problems.push({ line: n, message: 'unbalanced quotes' });
      return;
    }
    if (!header) {
      header = cells.map((c) => c.toLowerCase());
      for (const need of ['list', 'name']) {
        if (!header.includes(need)) problems.push({ line: n, message: `the header has no ${need} column` });
      }
      return;
    }
    const get = (col: string) => {
      const at = header!.indexOf(col);
      return at < 0 ? '' : (cells[at] ?? '');
    };
    const list = get('list');
    const name = get('name');
    const listedOn = get('listed_on');
    if (!listPattern.test(list)) problems.push({ line: n, message: 'list must be 1 to 64 letters, digits, _ or -' });
    else if (normalizeName(name) === '' || name.length > 300) {
      problems.push({ line: n, message: 'name must have a letter or digit and at most 300 characters' });
    } else if (listedOn !== '' && (!datePattern.test(listedOn) || Number.isNaN(Date.parse(listedOn)))) {
      problems.push({ line: n, message: 'listed_on must be YYYY-MM-DD' });
    } else {
      entries.push({
        line: n,
        list,
        name,
        aliases: get('aliases')
          .split(';')
          .map((a) => a.trim())
          .filter((a) => normalizeName(a) !== ''),
        country: get('country') || null,
        listedOn: listedOn || null,
      });
    }
  });
  if (!header && problems.length === 0) problems.push({ line: 1, message: 'empty: a header row is needed' });
  if (problems.length) throw new WatchlistFormatError(problems.slice(0, 50));
  return entries;
}
