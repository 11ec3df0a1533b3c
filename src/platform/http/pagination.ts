import { Type, type Static } from '@sinclair/typebox';

/** Offset pagination (quintus.md §2.1): fetch limit+1 rows to learn whether more exist. */
export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size, 1–100.' }),
  offset: Type.Integer({ minimum: 0, default: 0, description: 'Rows to skip; pass `next_offset` back.' }),
});
export type PageQuery = Static<typeof PageQuery>;

export interface Page<T> {
  items: T[];
  next_offset: number | null;
}

export const PageSchema = <T extends import('@sinclair/typebox').TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    next_offset: Type.Union([Type.Integer(), Type.Null()], {
      description: '`null` when there are no more results.',
    }),
  });

export function toPage<R, T>(
  rows: R[],
  page: { limit: number; offset: number },
  map: (row: R) => T,
): Page<T> {
  const more = rows.length > page.limit;
  return {
    items: rows.slice(0, page.limit).map(map),
    next_offset: more ? page.offset + page.limit : null,
  };
}
