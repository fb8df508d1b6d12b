import { z } from 'zod';
import { idCursor, seqCursor, timeSeqCursor, type CursorCodec } from '../db/cursor';
import { roles } from '../users/types';

/** Integer paise, as JSON numbers; bigint inside. */
export const amountSchema = z
  .number()
  .int('amount is integer paise')
  .positive('amount must be positive')
  .max(Number.MAX_SAFE_INTEGER)
  .transform((n) => BigInt(n));

export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_]+$/, 'malformed id');
export const idParams = z.object({ id: idSchema });
export const userIdParams = z.object({ userId: idSchema });
export const mobileSchema = z.string().regex(/^[6-9][0-9]{9}$/, '10-digit Indian mobile number');
export const limitSchema = z.coerce.number().int().min(1).max(200).default(50);
/** A cursor of one list: anything its codec did not write is a 400 naming query.cursor. */
const cursorOf = (codec: CursorCodec<unknown>) =>
  z
    .string()
    .min(1)
    .max(512)
    .refine((c) => codec.decode(c) !== undefined, 'not a cursor of this list')
    .optional();
/** Lists paged by row id: users, top-ups, recharges. */
export const cursorSchema = cursorOf(idCursor);
/** The audit log, paged by sequence number. */
export const seqCursorSchema = cursorOf(seqCursor);
/** Wallet statements, paged by (time, entry sequence number). */
export const statementCursorSchema = cursorOf(timeSeqCursor);
export const noteSchema = z.string().trim().min(1).max(500);
export const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const money = z.number().int().describe('integer paise');
const time = z.string().describe('ISO-8601 UTC');

export const userSchema = z.object({
  id: z.string(),
  role: z.enum(roles),
  name: z.string(),
  mobile: z.string().nullable().describe('null only for an admin without a sign-in mobile (the bootstrap admin)'),
  email: z.string().nullable(),
  parentId: z.string().nullable(),
  status: z.enum(['active', 'suspended']),
  kycTier: z.enum(['none', 'min', 'full']),
  createdAt: time,
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const walletSchema = z.object({
  userId: z.string(),
  currency: z.literal('INR'),
  balance: money,
  held: money,
  available: money,
  dues: money.describe(
    'Owed to the platform (commissions clawed back after they were spent); collected from the next credits',
  ),
});

export const statementItemSchema = z.object({
  transferId: z.string(),
  at: time,
  kind: z.string(),
  amount: money,
  direction: z.enum(['debit', 'credit']),
  balanceAfter: money,
  reference: z.string().nullable(),
});

export const transferSchema = z.object({
  id: z.string(),
  status: z.literal('completed'),
  direction: z.enum(['down', 'up']),
  fromUserId: z.string(),
  toUserId: z.string(),
  amount: money,
  note: z.string().nullable(),
  createdAt: time,
});

export const topupSchema = z.object({
  id: z.string(),
  userId: z.string(),
  amount: money,
  method: z.enum(['bank_transfer', 'gateway']),
  status: z.enum(['pending_approval', 'awaiting_payment', 'completed', 'rejected', 'expired', 'failed']),
  utr: z.string().nullable(),
  paymentUrl: z.string().nullable(),
  workflowId: z.string(),
  decidedBy: z.string().nullable(),
  note: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: time,
  updatedAt: time,
});

export const idempotencyHeader = z.object({
  'idempotency-key': z.string().min(1).max(128).describe('Unique per caller; a repeat returns the first response'),
});
