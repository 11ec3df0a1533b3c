import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, deletedAt, id, updatedAt } from './_columns.js';
import { workspaces } from './workspaces.js';

/**
 * Contact records (README §8; RD Station leads): created through the API or captured by an
 * agent's save_lead tool. A conversation points at its lead through conversations.lead_id.
 */
export const leads = pgTable(
  'leads',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    /** The agent that captured the lead (or the one named on creation); no FK: agents are soft-deleted. */
    agentId: uuid('agent_id'),
    name: text('name'),
    email: text('email'),
    phone: text('phone'),
    company: text('company'),
    site: text('site'),
    custom: jsonb('custom').$type<Record<string, unknown>>().notNull(),
    utm: jsonb('utm').$type<Record<string, unknown>>().notNull(),
    capture: text('capture', { enum: ['completed', 'partial'] }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: deletedAt(),
  },
  (t) => [
    index('leads_workspace_idx').on(t.workspaceId, t.id),
    index('leads_workspace_agent_idx').on(t.workspaceId, t.agentId, t.id),
  ],
);
