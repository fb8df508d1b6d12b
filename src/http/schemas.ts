import { z } from 'zod';
import { idCursor, seqCursor, timeSeqCursor, type CursorCodec } from '../db/cursor';
import { mpinPattern, mpinWeakness } from '../auth/mpin';
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
const cursorOf = (codec: CursorCodec<unknown>, format: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,512}$/, 'a cursor')
    // The format says which cursors the list wrote; a pattern beside it would call any base64url valid.
    .meta({
      format,
      description: "A previous page's nextCursor: base64url (1-512 characters) of the last row's key",
      override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
        delete jsonSchema.pattern;
      },
    })
    .refine((c) => codec.decode(c) !== undefined, 'not a cursor of this list')
    .optional();
/** Lists paged by row id: users, top-ups, recharges. */
export const cursorSchema = cursorOf(idCursor, 'id-cursor');
/** The audit log, paged by sequence number. */
export const seqCursorSchema = cursorOf(seqCursor, 'seq-cursor');
/** Wallet statements, paged by (time, entry sequence number). */
export const statementCursorSchema = cursorOf(timeSeqCursor, 'time-seq-cursor');
/** Any character but what String.prototype.trim removes: free text must say something. */
const notBlank = /[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
/** Free text (a note, a reason): checked as sent, stored trimmed. */
export const noteSchema = z.string().max(500).regex(notBlank, 'must not be blank').trim();
export const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const money = z.number().int().describe('integer paise');
const time = z.string().describe('ISO-8601 UTC');

export const userSchema = z
  .object({
    id: z.string(),
    role: z.enum(roles),
    name: z.string(),
    mobile: z.string().nullable().describe('null only for an admin without a sign-in mobile (the bootstrap admin)'),
    email: z.string().nullable(),
    parentId: z.string().nullable(),
    status: z
      .enum(['active', 'suspended', 'pending_review'])
      .describe('pending_review: a sanctions hit awaits an admin (signs in, moves no money)'),
    kycTier: z.enum(['none', 'min', 'full']),
    createdAt: time,
  })
  .meta({ id: 'User' });

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const walletSchema = z
  .object({
    userId: z.string(),
    currency: z.literal('INR'),
    balance: money,
    held: money,
    available: money,
    dues: money.describe(
      'Owed to the platform (commissions clawed back after they were spent); collected from the next credits',
    ),
  })
  .meta({ id: 'Wallet' });

export const statementItemSchema = z
  .object({
    transferId: z.string(),
    at: time,
    kind: z.string(),
    amount: money,
    direction: z.enum(['debit', 'credit']),
    balanceAfter: money,
    reference: z.string().nullable(),
  })
  .meta({ id: 'StatementItem' });

export const transferSchema = z
  .object({
    id: z.string(),
    status: z.literal('completed'),
    direction: z.enum(['down', 'up']),
    fromUserId: z.string(),
    toUserId: z.string(),
    amount: money,
    note: z.string().nullable(),
    createdAt: time,
  })
  .meta({ id: 'Transfer' });

export const topupSchema = z
  .object({
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
  })
  .meta({ id: 'Topup' });

/** One key per request a client may retry (API.md, Idempotency). */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII only')
  .meta({
    description: 'Unique per caller and request; a repeat with the same body gets the first answer',
    param: { id: 'IdempotencyKey' },
  });

/** The acting user's mPIN, for step-up (src/auth/step-up.ts). */
export const mpinHeaderSchema = z
  .string()
  .regex(mpinPattern, '6 digits')
  .optional()
  .meta({
    description: "The acting user's 6-digit mPIN; required when the amount is above the step-up threshold",
    param: { id: 'Mpin' },
  });

/**
 * The 6-digit mPINs mpinWeakness accepts (not one digit, two or three repeated, or a run up or
 * down), as the OpenAPI document states them.
 */
export const strongMpinPattern =
  /^(?!(?:([0-9]{2})\1\1|([0-9]{3})\2|012345|123456|234567|345678|456789|567890|678901|789012|890123|901234|987654|876543|765432|654321|543210|432109|321098|210987|109876|098765)$)[0-9]{6}$/;

/** A new mPIN; the error says why a weak one is weak. */
export const newMpinSchema = z
  .string()
  .regex(mpinPattern, '6 digits')
  .superRefine((v, ctx) => {
    const weak = mpinWeakness(v);
    if (weak) ctx.addIssue({ code: 'custom', message: `too easy to guess: ${weak}` });
  })
  .meta({
    override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
      jsonSchema.pattern = strongMpinPattern.source;
    },
  });

/** Request headers by their lower-case names, as Express reads them. */
export const idempotencyHeaders = z.object({ 'idempotency-key': idempotencyKeySchema });
export const optionalIdempotencyHeaders = z.object({ 'idempotency-key': idempotencyKeySchema.optional() });
export const stepUpHeaders = z.object({ 'x-mpin': mpinHeaderSchema });
