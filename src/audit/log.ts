import type { Knex } from 'knex';
import { seqCursor } from '../db/cursor';
import { AppError } from '../errors';
import { newId } from '../ids';
import { redactedKeys } from '../logger';

/**
 * The append-only security audit log (table audit_events; the database refuses UPDATE and DELETE).
 * Any module records an event with recordAudit(db, event); admins read it at GET /v1/audit.
 * Event types are dotted lower-case names, `<area>.<what happened>`; the ones below are recorded
 * today, and other areas add their own (e.g. `kyc.approved`).
 */
export const auditTypes = {
  signIn: 'auth.sign_in',
  otpFailed: 'auth.otp_failed',
  refreshReuse: 'auth.refresh_token_reused',
  logout: 'auth.logout',
  mpinSet: 'mpin.set',
  mpinChanged: 'mpin.changed',
  mpinFailed: 'mpin.failed',
  mpinLocked: 'mpin.locked',
  mpinFrozen: 'mpin.frozen',
  mpinUnlocked: 'mpin.unlocked',
  apiKeyCreated: 'api_key.created',
  apiKeyRevoked: 'api_key.revoked',
  userSuspended: 'user.suspended',
  userActivated: 'user.activated',
} as const;

export const auditTypePattern = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;

export interface AuditEvent {
  type: string;
  /** Who did it (a user id); absent for the system or an unidentified caller. */
  actorId?: string | null;
  /** Whom or what it concerns (a user id, usually). */
  subjectId?: string | null;
  requestId?: string | null;
  ip?: string | null;
  /** Facts about the event. Never secrets: keys the logger redacts are dropped here too. */
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  id: string;
  at: Date;
  type: string;
  actorId: string | null;
  subjectId: string | null;
  requestId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

const secretKeys = new Set(redactedKeys.map((k) => k.toLowerCase()));

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !secretKeys.has(k.toLowerCase()))
        .map(([k, v]) => [k, withoutSecrets(v)]),
    );
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Appends one event. Pass a transaction to make the event part of the change it records. */
export async function recordAudit(db: Knex | Knex.Transaction, event: AuditEvent): Promise<string> {
  if (!auditTypePattern.test(event.type)) throw new Error(`malformed audit event type: ${event.type}`);
  const id = newId('aud');
  await db('audit_events').insert({
    id,
    type: event.type,
    actor_id: event.actorId ?? null,
    subject_id: event.subjectId ?? null,
    request_id: event.requestId ?? null,
    ip: event.ip ?? null,
    details: JSON.stringify(withoutSecrets(event.details ?? {})),
  });
  return id;
}

interface AuditRow {
  seq: bigint;
  id: string;
  at: Date;
  type: string;
  actor_id: string | null;
  subject_id: string | null;
  request_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  actorId?: string;
  subjectId?: string;
  type?: string;
  cursor?: string;
  limit: number;
}

function decodeSeq(cursor: string): bigint {
  const seq = seqCursor.decode(cursor);
  if (seq === undefined) {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor', {
      fields: [{ path: 'query.cursor', message: 'not a cursor this list issued' }],
    });
  }
  return seq;
}

/** Events newest first, filtered; the cursor is opaque to clients. */
export async function listAudit(db: Knex, q: AuditQuery): Promise<{ items: AuditRecord[]; nextCursor: string | null }> {
  const query = db<AuditRow>('audit_events')
    .orderBy('seq', 'desc')
    .limit(q.limit + 1);
  if (q.actorId) query.where('actor_id', q.actorId);
  if (q.subjectId) query.where('subject_id', q.subjectId);
  if (q.type) query.where('type', q.type);
  if (q.cursor) query.where('seq', '<', decodeSeq(q.cursor).toString());
  const rows = (await query) as AuditRow[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      at: r.at,
      type: r.type,
      actorId: r.actor_id,
      subjectId: r.subject_id,
      requestId: r.request_id,
      ip: r.ip,
      details: r.details,
    })),
    nextCursor: rows.length > q.limit && last ? seqCursor.encode(last.seq) : null,
  };
}

/** Who made a change over the API or the CLI: the caller, with the request it came in by. */
export interface AuditActor {
  caller: { id: string };
  requestId?: string | null;
  ip?: string | null;
}

/** recordAudit for a change an actor made to `subjectId`. */
export function recordAuditBy(
  db: Knex | Knex.Transaction,
  actor: AuditActor,
  type: string,
  subjectId: string,
  details: object,
): Promise<string> {
  return recordAudit(db, {
    type,
    actorId: actor.caller.id,
    subjectId,
    requestId: actor.requestId ?? null,
    ip: actor.ip ?? null,
    details: details as Record<string, unknown>,
  });
}
