import { pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt } from './_columns.js';

/** Server-wide secrets and markers (operator-token hash, session-token signing secrets). */
export const serverState = pgTable('server_state', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  createdAt: createdAt(),
});
