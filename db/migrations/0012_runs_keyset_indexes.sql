-- The runs list pages by the keyset (created_at, id), newest first, under each filter: every filter gets an index
-- ending in (created_at, id), so page 1 and page 1,000 both start where the cursor points instead of scanning.
-- The tenant and workflow indexes carry what the reports aggregate (status, times, workflow), so the reports' ranges
-- are index-only scans; the workflow index leads with workflow_id, so it still serves the cascade from workflows.
CREATE INDEX "workflow_instances_tenant_created_id" ON "workflow_instances" USING btree ("tenant_id","created_at","id") INCLUDE ("workflow_id","status","started_at","completed_at");--> statement-breakpoint
DROP INDEX IF EXISTS "workflow_instances_tenant_created";--> statement-breakpoint
CREATE INDEX "workflow_instances_tenant_status_created_id" ON "workflow_instances" USING btree ("tenant_id","status","created_at","id");--> statement-breakpoint
DROP INDEX IF EXISTS "workflow_instances_tenant_status";--> statement-breakpoint
CREATE INDEX "workflow_instances_workflow_created_id" ON "workflow_instances" USING btree ("workflow_id","created_at","id") INCLUDE ("status","started_at","completed_at");--> statement-breakpoint
DROP INDEX IF EXISTS "workflow_instances_workflow";--> statement-breakpoint
CREATE INDEX "workflow_instances_workflow_version" ON "workflow_instances" USING btree ("workflow_id","version","created_at","id");--> statement-breakpoint
CREATE INDEX "workflow_instances_tenant_triggered_by" ON "workflow_instances" USING btree ("tenant_id","triggered_by","created_at","id");--> statement-breakpoint
-- A step deleted with its run sets its approvals' execution_id to null: without this index each deleted step scanned
-- every approval (deleting a tenant with 2,000 runs from the 1,000,000-run seed had not finished after 25 minutes).
CREATE INDEX "workflow_approvals_execution" ON "workflow_approvals" USING btree ("execution_id");
