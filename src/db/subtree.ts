import type { Knex } from 'knex';

/** LIKE's wildcards escaped: ids contain '_'. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Restricts `q` to rows whose user path column is `path` itself or anywhere below it. */
export function whereInSubtree(q: Knex.QueryBuilder, pathColumn: string, path: string): void {
  q.where((w) => w.where(pathColumn, path).orWhere(pathColumn, 'like', `${escapeLike(path)}/%`));
}
