CREATE TABLE "webhook_signatures" (
	"trigger_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"signature_hash" text NOT NULL,
	"run_id" text NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_signatures_trigger_id_signature_hash_pk" PRIMARY KEY("trigger_id","signature_hash")
);
--> statement-breakpoint
DROP INDEX "workflow_triggers_active_path";--> statement-breakpoint
ALTER TABLE "workflow_triggers" ADD COLUMN "rejected_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_triggers" ADD COLUMN "last_rejected_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workflow_triggers" ADD COLUMN "last_rejection_reason" text;--> statement-breakpoint
ALTER TABLE "webhook_signatures" ADD CONSTRAINT "webhook_signatures_trigger_id_workflow_triggers_id_fk" FOREIGN KEY ("trigger_id") REFERENCES "public"."workflow_triggers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_signatures" ADD CONSTRAINT "webhook_signatures_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_signatures_seen" ON "webhook_signatures" USING btree ("seen_at");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_triggers_active_tenant_path" ON "workflow_triggers" USING btree ("tenant_id","path") WHERE "workflow_triggers"."is_active" and "workflow_triggers"."path" is not null;