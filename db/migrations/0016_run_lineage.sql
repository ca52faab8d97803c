-- Where a run came from: the run it retries (POST /api/runs/:id/retry, afresh or resuming the failed step), and each
-- move to another version of its workflow (POST /api/runs/:id/migrate: when, by whom, from and to which version,
-- with which node mapping), oldest first.
ALTER TABLE "workflow_instances" ADD COLUMN "retry_of" text;--> statement-breakpoint
ALTER TABLE "workflow_instances" ADD COLUMN "migrations" jsonb DEFAULT '[]'::jsonb NOT NULL;
