/**
 * Money is bigint inside and a plain JSON integer (paise) outside. Amounts stay far below 2^53
 * (₹90 trillion), so the conversion is exact.
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer);
}
