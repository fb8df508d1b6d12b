import type { Response } from 'express';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { AppError } from '../errors';
import type { Caller } from '../users/types';
import { rechargeId } from './types';

/** Statuses a recharge is in flight in: from the request until it is final, or waits for a person. */
const inFlightStatuses = ['received', 'processing', 'pending'];

/** A ticket whose request left no recharge row (its API process died mid-request) stops counting after this. */
const ORPHAN_TICKET_SECONDS = 60;

const RETRY_AFTER_SECONDS = 1;

/**
 * Admission control for new recharges: a bound on recharges in flight on the whole platform and
 * per requesting user (RECHARGE_MAX_IN_FLIGHT, RECHARGE_MAX_IN_FLIGHT_PER_USER). A request over
 * either bound is answered 429 RATE_LIMITED with Retry-After at once, before its idempotency key
 * is claimed, any money is held or a workflow starts, so it changes nothing and may be retried with
 * the same key.
 *
 * The count lives in PostgreSQL, not in the API process: several API processes share one bound,
 * and a recharge answered 202 stays in flight after its request ends. Each admitted request leaves
 * a ticket (recharge_admissions) that counts while its recharge row is in flight, or for a short
 * grace while the row does not exist yet; admissions serialize on one advisory lock, so concurrent
 * requests cannot all see room for one (the decision is one database function, so the lock is
 * held for its own work only). A retry of a recharge that already exists (or holds a
 * ticket) is always admitted: it starts no new work.
 */
export class RechargeAdmission {
  constructor(
    private readonly db: Db,
    private readonly limits: Pick<Config['recharges'], 'maxInFlight' | 'maxInFlightPerUser'>,
  ) {}

  /** Lets the request through, or throws 429 RATE_LIMITED (Retry-After set on `res`). */
  async admit(caller: Caller, idempotencyKey: string | undefined, res: Response): Promise<void> {
    if (!idempotencyKey) return; // refused by the idempotency check, which runs next
    const { maxInFlight, maxInFlightPerUser } = this.limits;
    const id = rechargeId(caller.id, idempotencyKey);
    // One statement: migrations/20261129000000_admit_recharge_function.ts holds the steps.
    const { rows } = (await this.db.raw(`select admit_recharge(?, ?, ?, ?, ?, ?) as decision`, [
      id,
      caller.id,
      maxInFlight,
      maxInFlightPerUser,
      inFlightStatuses,
      ORPHAN_TICKET_SECONDS,
    ])) as { rows: Array<{ decision: 'known' | 'platform' | 'user' | 'ticket' }> };
    const decision = rows[0]!.decision;
    if (decision === 'known') return;
    if (decision !== 'ticket') {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      throw new AppError(
        'RATE_LIMITED',
        decision === 'platform'
          ? `Too many recharges in flight on the platform (${maxInFlight}); retry after ${RETRY_AFTER_SECONDS} s`
          : `Too many of your recharges in flight (${maxInFlightPerUser}); retry after ${RETRY_AFTER_SECONDS} s`,
        { retryAfterSeconds: RETRY_AFTER_SECONDS, scope: decision },
      );
    }
    // A request that ends without a recharge row (refused by a later check, or failed before its
    // workflow started) gives its ticket back at once.
    res.once('finish', () => {
      void this.db
        .raw(
          `delete from recharge_admissions a
          where a.recharge_id = ? and not exists (select 1 from recharges r where r.id = a.recharge_id)`,
          [id],
        )
        .catch(() => undefined); // the grace period releases it instead
    });
  }
}
