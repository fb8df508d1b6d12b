import { idCursor } from '../db/cursor';
import { AppError } from '../errors';

/**
 * Lists paged by row id (users, top-ups, recharges): the opaque cursor names the last row of a
 * page, and a store answers the rows after it plus whether there are more.
 */
export function afterIdOf(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = idCursor.decode(cursor);
  if (id === undefined) {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor', {
      fields: [{ path: 'query.cursor', message: 'invalid' }],
    });
  }
  return id;
}

/** The cursor of the page after this one, or null on the last page. */
export function nextIdCursor(page: { items: ReadonlyArray<{ id: string }>; more: boolean }): string | null {
  const last = page.items[page.items.length - 1];
  return page.more && last ? idCursor.encode(last.id) : null;
}
