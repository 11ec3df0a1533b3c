import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/** Where a newest-first listing stopped: the last item's creation time and id. */
export interface KeysetPosition {
  createdAt: string;
  id: string;
}

/**
 * One page of a newest-first keyset listing (EvaGPT cursor pagination): rows strictly older
 * than `after`, and the total matching count when asked (first page only).
 */
export interface KeysetPage {
  limit: number;
  after: KeysetPosition | null;
  withTotal: boolean;
}

export interface KeysetResult<T> {
  items: T[];
  /** Whether rows exist past this page. */
  more: boolean;
  /** The position of the last item, to continue from. */
  last: KeysetPosition | null;
  total: number | null;
}

/** `(created_at, id) < (after)`: rows created meanwhile are newer, so pages never shift. */
export function olderThan(createdAt: PgColumn, id: PgColumn, after: KeysetPosition | null): SQL | undefined {
  if (!after) return undefined;
  return sql`(${createdAt}, ${id}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`;
}

/** Shapes `limit + 1` fetched rows into a page. */
export function keysetResult<R extends { createdAt: Date; id: string }, T>(
  rows: R[],
  page: KeysetPage,
  total: number | null,
  map: (row: R) => T,
): KeysetResult<T> {
  const more = rows.length > page.limit;
  const kept = rows.slice(0, page.limit);
  const lastRow = kept[kept.length - 1];
  return {
    items: kept.map(map),
    more,
    last: lastRow ? { createdAt: lastRow.createdAt.toISOString(), id: lastRow.id } : null,
    total,
  };
}
