-- Approvals as human tasks: the form a decision fills in, when the task is due, who took it and to whom approvers
-- handed their part.
ALTER TABLE "workflow_approvals" ADD COLUMN "form" jsonb;--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD COLUMN "due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD COLUMN "claimed_by" text;--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD COLUMN "claimed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD COLUMN "delegations" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD COLUMN "delegates" text[] DEFAULT '{}'::text[] NOT NULL;
