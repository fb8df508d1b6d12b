/** Report periods are Indian days (IST, UTC+05:30, no daylight saving) and financial years (April to March). */

const IST_OFFSET_MS = 330 * 60_000;
const DAY_MS = 86_400_000;

/** Whether `s` is a real calendar date written YYYY-MM-DD, from 1970 on (no report reaches further back). */
export function isCalendarDate(s: string): boolean {
  if (!/^(19[7-9][0-9]|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** The instant an IST calendar date begins. */
export function istStart(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - IST_OFFSET_MS);
}

/** The IST calendar date of an instant. */
export function istDate(at: Date): string {
  return new Date(at.getTime() + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** [from, to) of the IST days `first` to `last`, both included. */
export function istDays(first: string, last: string): { from: Date; to: Date } {
  return { from: istStart(first), to: new Date(istStart(last).getTime() + DAY_MS) };
}

/**
 * The financial-year quarter of an IST date, as TDS returns name it: "FY2026-27 Q1" is April to
 * June 2026, Q4 is January to March 2027.
 */
export function fyQuarter(date: string): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const fyStart = month >= 4 ? year : year - 1;
  const q = month >= 4 ? Math.floor((month - 4) / 3) + 1 : 4;
  return `FY${fyStart}-${String((fyStart + 1) % 100).padStart(2, '0')} Q${q}`;
}
