import { getTableColumns, is, SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

function insertableColumns(table: PgTable): Array<[string, PgColumn]> {
  // the same column list, in the same order, as drizzle's INSERT names (generated columns left out)
  return Object.entries(getTableColumns(table)).filter(
    ([, col]) => !(col as unknown as { shouldDisableInsert(): boolean }).shouldDisableInsert(),
  );
}

/**
 * `select $1::t1, $2::t2, … from <source>`: the body of an `INSERT … SELECT` that writes one row
 * per row of `source` (a CTE), so a write can be conditional on another write of the same
 * statement (one round trip, one implicit commit) instead of needing a transaction. Every column
 * is a placeholder named `<prefix><field>`, so the statement can be prepared once; fill them
 * with {@link rowValues}.
 */
export function rowPlaceholdersFrom(table: PgTable, prefix: string, source: unknown): SQL {
  const parts = insertableColumns(table).map(
    ([field, col]) => sql`${sql.placeholder(prefix + field)}::${sql.raw(col.getSQLType())}`,
  );
  return sql`select ${sql.join(parts, sql`, `)} from ${source as SQL}`;
}

/** The placeholder values of {@link rowPlaceholdersFrom}: encoded for the driver, defaults applied. */
export function rowValues<T extends PgTable>(
  table: T,
  prefix: string,
  row: T['$inferInsert'],
): Record<string, unknown> {
  const given = row as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [field, col] of insertableColumns(table)) {
    let v = given[field];
    if (v === undefined && col.defaultFn) v = col.defaultFn();
    if (v === undefined && col.hasDefault) v = col.default;
    if (is(v, SQL)) throw new Error(`rowValues: SQL default of ${field} is not supported`);
    out[prefix + field] = v === undefined || v === null ? null : col.mapToDriverValue(v);
  }
  return out;
}
