import { z } from 'zod';
import { isValidAadhaarNumber } from './verhoeff';

/** PAN: 5 letters, 4 digits, 1 letter (the 4th letter is the holder type, e.g. P for a person). */
export const PAN_PATTERN = /^[A-Z]{5}[0-9]{4}[A-Z]$/;

export function isValidPan(value: string): boolean {
  return PAN_PATTERN.test(value);
}

/** Accepts `1234 5678 9012` and `1234-5678-9012`; the value carried on is the 12 digits. */
export const aadhaarNumberSchema = z
  .string()
  .max(20)
  .transform((s) => s.replace(/[\s-]/g, ''))
  .refine(isValidAadhaarNumber, 'not a valid Aadhaar number (12 digits with a Verhoeff check digit)');

export const panSchema = z
  .string()
  .max(12)
  .transform((s) => s.trim().toUpperCase())
  .refine(isValidPan, 'a PAN is 5 letters, 4 digits and a letter, e.g. ABCPE1234F');

/** The name as printed on the PAN card: letters, spaces and . ' - only. */
export const panNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z][A-Za-z .'-]*$/, "letters, spaces and . ' - only");

export const otpSchema = z.string().regex(/^[0-9]{6}$/, '6 digits');
