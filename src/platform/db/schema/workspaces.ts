import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, deletedAt, id, updatedAt } from './_columns.js';

export const workspaces = pgTable('workspaces', {
  id: id(),
  name: text('name').notNull(),
  maxAgents: integer('max_agents'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  deletedAt: deletedAt(),
});
