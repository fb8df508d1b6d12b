import type { Knex } from 'knex';

/**
 * The rows of a query, fetched in batches through a server-side cursor inside one read-only,
 * repeatable-read transaction: one consistent snapshot, constant memory however many rows.
 * The transaction ends when the iteration does (completed, abandoned or failed).
 */
export async function* cursorRows<T = Record<string, unknown>>(
  db: Knex,
  query: Knex.QueryBuilder | Knex.Raw,
  batch = 1000,
): AsyncGenerator<T> {
  const { sql, bindings } = query.toSQL();
  const trx = await db.transaction(undefined, { isolationLevel: 'repeatable read', readOnly: true });
  try {
    await trx.raw(`declare report_rows no scroll cursor for ${sql}`, bindings as readonly Knex.Value[]);
    for (;;) {
      const { rows } = (await trx.raw(`fetch ${batch} from report_rows`)) as { rows: T[] };
      for (const row of rows) yield row;
      if (rows.length < batch) break;
    }
    await trx.commit();
  } finally {
    if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
  }
}
