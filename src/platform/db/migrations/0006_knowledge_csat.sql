-- Knowledge-base retrieval (README §8): accent-folded Portuguese and English stems, GIN-indexed.
-- papo_knowledge_tsv feeds the stored knowledge_records.search; papo_knowledge_query builds the
-- matching tsquery (stop words of either language dropped, remaining words OR-ed).
CREATE OR REPLACE FUNCTION papo_knowledge_fold(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT lower(translate(t, 'ÁÀÂÃÄÅáàâãäåÉÈÊËéèêëÍÌÎÏíìîïÓÒÔÕÖóòôõöÚÙÛÜúùûüÇçÑñ', 'AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOoooooUUUUuuuuCcNn')) $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION papo_knowledge_tsv(title text, body text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT setweight(to_tsvector('portuguese'::regconfig, papo_knowledge_fold(coalesce(title, ''))), 'A')
    || setweight(to_tsvector('english'::regconfig, papo_knowledge_fold(coalesce(title, ''))), 'A')
    || setweight(to_tsvector('portuguese'::regconfig, papo_knowledge_fold(coalesce(body, ''))), 'B')
    || setweight(to_tsvector('english'::regconfig, papo_knowledge_fold(coalesce(body, ''))), 'B') $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION papo_knowledge_query(words text) RETURNS tsquery
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT CASE WHEN q.t IS NULL THEN ''::tsquery
      ELSE to_tsquery('portuguese'::regconfig, q.t) || to_tsquery('english'::regconfig, q.t) END
    FROM (SELECT string_agg(w, ' | ') AS t
      FROM regexp_split_to_table(papo_knowledge_fold(words), '\s+') AS w
      WHERE w <> '' AND w !~ '[&|!():*<>''\\]'
        AND to_tsvector('portuguese'::regconfig, w) <> ''::tsvector
        AND to_tsvector('english'::regconfig, w) <> ''::tsvector) q $$;--> statement-breakpoint
CREATE TABLE "knowledge_bases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"metadata" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "knowledge_files" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"knowledge_base_id" uuid NOT NULL,
	"name" text NOT NULL,
	"size" integer NOT NULL,
	"mime_type" text NOT NULL,
	"storage_key" text NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge_records" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"knowledge_base_id" uuid NOT NULL,
	"file_id" uuid,
	"chunk_index" integer,
	"title" text,
	"text" text NOT NULL,
	"meta" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (papo_knowledge_tsv(title, text)) STORED
);
--> statement-breakpoint
CREATE TABLE "conversation_csat" (
	"conversation_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"score" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "knowledge_bases" ADD CONSTRAINT "knowledge_bases_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_files" ADD CONSTRAINT "knowledge_files_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_files" ADD CONSTRAINT "knowledge_files_knowledge_base_id_knowledge_bases_id_fk" FOREIGN KEY ("knowledge_base_id") REFERENCES "public"."knowledge_bases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_records" ADD CONSTRAINT "knowledge_records_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_records" ADD CONSTRAINT "knowledge_records_knowledge_base_id_knowledge_bases_id_fk" FOREIGN KEY ("knowledge_base_id") REFERENCES "public"."knowledge_bases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_records" ADD CONSTRAINT "knowledge_records_file_id_knowledge_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."knowledge_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_csat" ADD CONSTRAINT "conversation_csat_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_csat" ADD CONSTRAINT "conversation_csat_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "knowledge_bases_workspace_name_uq" ON "knowledge_bases" USING btree ("workspace_id",lower("name")) WHERE "knowledge_bases"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "knowledge_bases_workspace_idx" ON "knowledge_bases" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE INDEX "knowledge_files_base_idx" ON "knowledge_files" USING btree ("knowledge_base_id","created_at","id");--> statement-breakpoint
CREATE INDEX "knowledge_records_base_idx" ON "knowledge_records" USING btree ("knowledge_base_id","created_at","id");--> statement-breakpoint
CREATE INDEX "knowledge_records_file_idx" ON "knowledge_records" USING btree ("file_id");--> statement-breakpoint
CREATE INDEX "knowledge_records_search_idx" ON "knowledge_records" USING gin ("search");