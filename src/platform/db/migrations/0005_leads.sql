CREATE TABLE "leads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"agent_id" uuid,
	"name" text,
	"email" text,
	"phone" text,
	"company" text,
	"site" text,
	"custom" jsonb NOT NULL,
	"utm" jsonb NOT NULL,
	"capture" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "leads" ADD CONSTRAINT "leads_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "leads_workspace_idx" ON "leads" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE INDEX "leads_workspace_agent_idx" ON "leads" USING btree ("workspace_id","agent_id","id");