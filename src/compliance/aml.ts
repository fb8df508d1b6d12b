/**
 * AML monitoring, the pure part: report months (IST calendar months) and the shape of STR and CTR
 * candidates. Kept free of I/O so the monthly workflow can use it too.
 *
 * A user is a candidate for a month when, on its wallet, one posted transfer is at least the
 * single threshold (reason "single": amount = the largest, transfers = every one at or above it),
 * or the month's posted debits or credits add up to at least the cumulative threshold (reason
 * "cumulative", one item per direction: amount = that total, transfers = all of that direction).
 * Defaults from the seed: ₹50,000 single, ₹10,00,000 cumulative (COMPLIANCE_*_PAISE).
 */
import { istStart } from '../reports/period';

export interface AmlThresholds {
  singlePaise: bigint;
  cumulativePaise: bigint;
}

export type CandidateReason = 'single' | 'cumulative';
export type Direction = 'debit' | 'credit';

export interface CandidateTransfer {
  transferId: string;
  at: Date;
  kind: string;
  direction: Direction;
  amount: bigint;
  reference: string | null;
}

export interface Candidate {
  userId: string;
  name: string;
  role: string;
  reason: CandidateReason;
  /** For a cumulative item, the direction whose total reached the threshold; null for single. */
  direction: Direction | null;
  amount: bigint;
  transfers: CandidateTransfer[];
}

/** One row per (candidate, qualifying transfer): the CSV layout, in this column order. */
export interface CandidateRow {
  month: string;
  userId: string;
  name: string;
  role: string;
  reason: CandidateReason;
  direction: Direction | '';
  totalAmount: bigint;
  transferId: string;
  at: Date;
  kind: string;
  transferDirection: Direction;
  transferAmount: bigint;
  reference: string;
}

export const candidateColumns = [
  'month',
  'userId',
  'name',
  'role',
  'reason',
  'direction',
  'totalAmount',
  'transferId',
  'at',
  'kind',
  'transferDirection',
  'transferAmount',
  'reference',
] as const satisfies readonly (keyof CandidateRow)[];

/** 1970-01 to 2999-12: no ledger reaches further back, and the month after the last is still a date. */
export const monthPattern = /^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])$/;

/** [from, to) of an IST calendar month written YYYY-MM. */
export function istMonth(month: string): { from: Date; to: Date } {
  if (!monthPattern.test(month)) throw new RangeError(`not a month: ${month}`);
  const year = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  const next = m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
  return { from: istStart(`${month}-01`), to: istStart(`${next}-01`) };
}

/** The IST calendar month before the one `at` falls in, YYYY-MM. */
export function previousIstMonth(at: Date): string {
  const ist = new Date(at.getTime() + 330 * 60_000);
  const year = ist.getUTCFullYear();
  const m = ist.getUTCMonth(); // 0-based: the previous month's 1-based number
  return m === 0 ? `${year - 1}-12` : `${year}-${String(m).padStart(2, '0')}`;
}

/** Candidates from their rows, which come ordered by user, reason and direction. */
export function groupCandidates(rows: Iterable<CandidateRow>): Candidate[] {
  const out: Candidate[] = [];
  let last: Candidate | undefined;
  for (const r of rows) {
    const direction = r.direction === '' ? null : r.direction;
    if (!last || last.userId !== r.userId || last.reason !== r.reason || last.direction !== direction) {
      last = {
        userId: r.userId,
        name: r.name,
        role: r.role,
        reason: r.reason,
        direction,
        amount: r.totalAmount,
        transfers: [],
      };
      out.push(last);
    }
    last.transfers.push({
      transferId: r.transferId,
      at: r.at,
      kind: r.kind,
      direction: r.transferDirection,
      amount: r.transferAmount,
      reference: r.reference === '' ? null : r.reference,
    });
  }
  return out;
}
