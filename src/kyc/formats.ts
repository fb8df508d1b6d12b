import { z } from 'zod';
import { isValidAadhaarNumber } from './verhoeff';

/** PAN: 5 letters, 4 digits, 1 letter (the 4th letter is the holder type, e.g. P for a person). */
export const PAN_PATTERN = /^[A-Z]{5}[0-9]{4}[A-Z]$/;

export function isValidPan(value: string): boolean {
  return PAN_PATTERN.test(value);
}

/**
 * Accepts `123456789012`, `1234 5678 9012` and `1234-5678-9012`; the value carried on is the 12
 * digits. The check digit is the OpenAPI document's format `aadhaar`.
 */
export const aadhaarNumberSchema = z
  .string()
  .regex(
    /^[2-9][0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4}$/,
    '12 digits (the first 2-9), optionally grouped by 4 with spaces or hyphens',
  )
  // The format states the check digit; a pattern beside it would call any 12 digits valid.
  .meta({
    format: 'aadhaar',
    description:
      '12 digits, the first 2-9 and the last the Verhoeff check digit of the others; optionally grouped by 4 with spaces or hyphens',
    override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
      delete jsonSchema.pattern;
    },
  })
  .transform((s) => s.replace(/[\s-]/g, ''))
  .refine(isValidAadhaarNumber, 'not a valid Aadhaar number (12 digits with a Verhoeff check digit)');

/** Either case, surrounding spaces allowed; carried on upper-case and trimmed. */
export const panSchema = z
  .string()
  .regex(/^ *[A-Za-z]{5}[0-9]{4}[A-Za-z] *$/, 'a PAN is 5 letters, 4 digits and a letter, e.g. ABCPE1234F')
  .transform((s) => s.trim().toUpperCase());

/** The name as printed on the PAN card: letters, spaces and . ' - only. */
export const panNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z][A-Za-z .'-]*$/, "letters, spaces and . ' - only");

export const otpSchema = z.string().regex(/^[0-9]{6}$/, '6 digits');
