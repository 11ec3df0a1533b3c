import { pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id } from './_columns.js';

/** Stable ids for the declared models (`provider:model-id`), assigned on first sight. */
export const aiModels = pgTable(
  'ai_models',
  { id: id(), model: text('model').notNull(), createdAt: createdAt() },
  (t) => [uniqueIndex('ai_models_model_uq').on(t.model)],
);
