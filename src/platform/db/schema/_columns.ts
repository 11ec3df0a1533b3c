import { timestamp, uuid } from 'drizzle-orm/pg-core';

/** Shared column builders: every table uses the same id and timestamp types. */
export const id = () => uuid('id').primaryKey();
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
export const createdAt = () => ts('created_at').notNull();
export const updatedAt = () => ts('updated_at').notNull();
export const deletedAt = () => ts('deleted_at');
