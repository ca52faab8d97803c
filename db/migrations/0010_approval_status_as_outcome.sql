ALTER TABLE "workflow_approvals" DROP CONSTRAINT "workflow_approvals_status_check";--> statement-breakpoint
-- Custom outcomes were stored as `approved`: store each as itself, as new decisions are.
UPDATE "workflow_approvals" SET "status" = "outcome" WHERE "status" = 'approved' AND "outcome" IS NOT NULL AND "outcome" <> 'approved';--> statement-breakpoint
-- Approvals closed by a cancelled run were stored as `expired`.
UPDATE "workflow_approvals" AS a SET "status" = 'cancelled' FROM "workflow_instances" AS r WHERE a."instance_id" = r."id" AND r."status" = 'cancelled' AND a."status" = 'expired' AND a."outcome" IS NULL;--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD CONSTRAINT "workflow_approvals_status_check" CHECK (status ~ '^[a-z][a-z0-9_]*$');
