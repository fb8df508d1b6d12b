const grouping = new Intl.NumberFormat('en-IN', { maximumFractionDigits: 0 });

/** ₹1,23,456.50 from integer paise: whole rupees grouped the Indian way, the paise as digits. */
export function formatPaise(paise: number): string {
  if (!Number.isSafeInteger(paise)) throw new Error(`not an amount in paise: ${paise}`);
  const abs = Math.abs(paise);
  const rupees = grouping.format(Math.floor(abs / 100));
  const rest = String(abs % 100).padStart(2, '0');
  return `${paise < 0 ? '−' : ''}₹${rupees}.${rest}`;
}

/** Paise as rupees for an input to edit: 1050 → "10.50". */
export function rupeesText(paise: number): string {
  return `${Math.floor(paise / 100)}.${String(paise % 100).padStart(2, '0')}`;
}

/** Hundredths from a decimal with at most two places ("12.5" → 1250), by digits, never a float product. */
function hundredths(text: string): number | undefined {
  const m = /^(\d{1,10})(?:\.(\d{0,2}))?$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Integer paise from rupees as typed ("1,250", "12.5", "₹100.00"), or undefined when it is not
 * an amount. Digits only: "12.5" is 1250 paise exactly, never a float product.
 */
export function parseRupees(text: string): number | undefined {
  return hundredths(text.trim().replace(/^₹\s*/, '').replace(/,/g, ''));
}

/** Basis points from a percentage as typed ("3", "0.5%", "12.25"): 300, 50, 1225; at most 100 %. */
export function parsePercent(text: string): number | undefined {
  const bps = hundredths(text.trim().replace(/\s*%$/, ''));
  return bps !== undefined && bps <= 10_000 ? bps : undefined;
}

/** Basis points as a percentage: 300 → "3.00%". */
export function formatBps(bps: number): string {
  return `${rupeesText(bps)}%`;
}
