ALTER TABLE "workflow_instances" ADD COLUMN "progress_at" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_instances" ADD COLUMN "progress_count" integer DEFAULT 0 NOT NULL;