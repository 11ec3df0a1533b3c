import type { DbOrTx } from './client.js';

/**
 * A named prepared statement, built once per database handle: the hot reads of a turn skip
 * drizzle's query building (a tenth of a turn's CPU) and, on PostgreSQL, parsing and planning.
 * Parameters are `sql.placeholder(...)`s filled by `execute({...})`.
 */
export function preparedQuery<P>(build: (db: DbOrTx) => P): (db: DbOrTx) => P {
  const cache = new WeakMap<DbOrTx, P>();
  return (db) => {
    let p = cache.get(db);
    if (!p) {
      p = build(db);
      cache.set(db, p);
    }
    return p;
  };
}
