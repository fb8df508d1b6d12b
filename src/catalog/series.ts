/** Number series: which operator and circle a mobile number's prefix belongs to. Pure. */

export interface SeriesRow {
  series: string;
  operator: string;
  circle: string;
}

export type SeriesAnswer =
  | { kind: 'unique'; operator: string; circle: string }
  /** The longest matching series is shared by several operators. */
  | { kind: 'ambiguous'; operators: string[] }
  | { kind: 'none' };

export const prepaidNumber = /^[6-9][0-9]{9}$/;

/** Every prefix a series may be (2 to 9 digits). */
export function prefixesOf(subscriber: string): string[] {
  const out: string[] = [];
  for (let n = 2; n <= Math.min(9, subscriber.length - 1); n++) out.push(subscriber.slice(0, n));
  return out;
}

/** The longest series matching the number decides; one shared by several operators decides nothing. */
export function decideBySeries(subscriber: string, rows: SeriesRow[]): SeriesAnswer {
  const matching = rows.filter((r) => subscriber.startsWith(r.series));
  if (!matching.length) return { kind: 'none' };
  const longest = Math.max(...matching.map((r) => r.series.length));
  const best = matching.filter((r) => r.series.length === longest);
  const operators = [...new Set(best.map((r) => r.operator))].sort();
  if (operators.length > 1) return { kind: 'ambiguous', operators };
  return { kind: 'unique', operator: best[0]!.operator, circle: best[0]!.circle };
}
