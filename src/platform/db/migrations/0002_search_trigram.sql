-- Search over 1M+ messages (issue 4): trigram indexes serve ILIKE '%term%' without scanning.
-- papo_message_text feeds the stored messages.search_text; papo_conversation_text is an indexed
-- expression, so queries must call it exactly as the index does.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE OR REPLACE FUNCTION papo_message_text(content jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT coalesce(string_agg(b ->> 'text', E'\n'), '') FROM jsonb_array_elements(content) b WHERE b ->> 'type' = 'text' $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION papo_conversation_text(reference text, external_id text, user_data jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT concat_ws(E'\n', reference, external_id, (SELECT string_agg(value, E'\n') FROM jsonb_each_text(user_data))) $$;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "search_text" text GENERATED ALWAYS AS (papo_message_text(content)) STORED;--> statement-breakpoint
CREATE INDEX "conversations_text_trgm_idx" ON "conversations" USING gin (papo_conversation_text("user_reference", "external_user_id", "user_data") gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "messages_search_trgm_idx" ON "messages" USING gin ("search_text" gin_trgm_ops);