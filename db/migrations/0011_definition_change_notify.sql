-- Each API process caches what a webhook delivery reads (trigger, workflow, pinned version, variables, secrets).
-- Any change to those rows, whoever writes it, announces the tenant on the run-events channel so every process
-- drops its copy (db/run-events.ts, api/services/webhook-targets.ts). Sent at commit, never for a rolled-back write.
CREATE OR REPLACE FUNCTION "graphflow_notify_definitions"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tenant uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN tenant := OLD.tenant_id; ELSE tenant := NEW.tenant_id; END IF;
  PERFORM pg_notify('graphflow_runs', json_build_object('tenantId', tenant, 'kind', 'definitions')::text);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "workflows_notify_definitions" AFTER INSERT OR DELETE OR UPDATE OF "name", "status", "latest_version" ON "workflows" FOR EACH ROW EXECUTE FUNCTION "graphflow_notify_definitions"();--> statement-breakpoint
CREATE TRIGGER "workflow_versions_notify_definitions" AFTER INSERT OR DELETE OR UPDATE ON "workflow_versions" FOR EACH ROW EXECUTE FUNCTION "graphflow_notify_definitions"();--> statement-breakpoint
-- Not on the counters a delivery updates (trigger_count, rejected_count, ...): those change on every request.
CREATE TRIGGER "workflow_triggers_notify_definitions" AFTER INSERT OR DELETE OR UPDATE OF "workflow_id", "workflow_version_id", "node_id", "trigger_type", "config", "path", "is_active" ON "workflow_triggers" FOR EACH ROW EXECUTE FUNCTION "graphflow_notify_definitions"();--> statement-breakpoint
CREATE TRIGGER "workflow_variables_notify_definitions" AFTER INSERT OR DELETE OR UPDATE ON "workflow_variables" FOR EACH ROW EXECUTE FUNCTION "graphflow_notify_definitions"();
