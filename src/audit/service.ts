import type { Knex } from 'knex';
import { AppError } from '../errors';
import type { Caller } from '../users/types';
import { listAudit, type AuditQuery, type AuditRecord } from './log';

/** Reading the security audit log, which only admins may. */
export class AuditService {
  constructor(private readonly db: Knex) {}

  async list(caller: Caller, q: AuditQuery): Promise<{ items: AuditRecord[]; nextCursor: string | null }> {
    if (caller.role !== 'admin') throw new AppError('FORBIDDEN', 'Only an admin reads the audit log');
    return listAudit(this.db, q);
  }
}
