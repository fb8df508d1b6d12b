/**
 * TDS on commission, as section 194H of the Income-tax Act has it: nothing is withheld while a
 * payee's commission in the financial year (April to March, Indian time) stays within the
 * threshold; above it, the rate applies to the part above; a payee without a verified PAN is
 * withheld at the higher section 206AA rate instead. Pure: the caller supplies the payee's
 * commission so far this year and whether its PAN is verified.
 */

export interface TdsSettings {
  /** Basis points withheld above the threshold (194H: 2 %). */
  rateBps: number;
  /** Basis points where the payee has no verified PAN (206AA: 20 %). */
  noPanRateBps: number;
  /** Commission a payee may earn in a financial year before TDS applies (paise). */
  thresholdPaise: bigint;
}

export const defaultTdsSettings: TdsSettings = { rateBps: 200, noPanRateBps: 2000, thresholdPaise: 20_000_00n };

export interface PayeeTaxState {
  /** Gross commission credited to the payee earlier in this financial year (reversed ones excluded). */
  fyGrossBefore: bigint;
  panVerified: boolean;
}

/** TDS on one commission of `gross` paise, rounded down to the paisa. */
export function tdsOnCommission(gross: bigint, payee: PayeeTaxState, settings: TdsSettings): bigint {
  const after = payee.fyGrossBefore + gross;
  if (gross <= 0n || after <= settings.thresholdPaise) return 0n;
  const taxable = payee.fyGrossBefore >= settings.thresholdPaise ? gross : after - settings.thresholdPaise;
  const bps = payee.panVerified ? settings.rateBps : Math.max(settings.rateBps, settings.noPanRateBps);
  return (taxable * BigInt(bps)) / 10_000n;
}

const IST_OFFSET_MS = (5 * 60 + 30) * 60_000;

/** The financial year holding `at`: from 1 April 00:00 IST to the next 1 April, and its label, e.g. 2026-27. */
export function financialYearOf(at: Date): { start: Date; end: Date; label: string } {
  const ist = new Date(at.getTime() + IST_OFFSET_MS);
  const year = ist.getUTCMonth() >= 3 ? ist.getUTCFullYear() : ist.getUTCFullYear() - 1;
  const aprilFirst = (y: number) => new Date(Date.UTC(y, 3, 1) - IST_OFFSET_MS);
  return {
    start: aprilFirst(year),
    end: aprilFirst(year + 1),
    label: `${year}-${String((year + 1) % 100).padStart(2, '0')}`,
  };
}
