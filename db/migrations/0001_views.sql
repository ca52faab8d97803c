-- Reporting views (api-contract.md: GET /api/reports/workflows/:id). Hand-written: drizzle-kit does not manage views.
CREATE VIEW "vw_workflow_execution_summary" AS
SELECT
  i.id AS instance_id,
  i.tenant_id,
  i.workflow_id,
  w.name AS workflow_name,
  i.version,
  i.status,
  i.started_at,
  i.completed_at,
  EXTRACT(EPOCH FROM (COALESCE(i.completed_at, now()) - i.started_at))::double precision AS duration_seconds,
  (SELECT count(*) FROM workflow_executions e WHERE e.instance_id = i.id)::int AS steps_total,
  (SELECT count(*) FROM workflow_executions e WHERE e.instance_id = i.id AND e.status = 'completed')::int AS steps_completed,
  (SELECT count(*) FROM workflow_executions e WHERE e.instance_id = i.id AND e.status = 'failed')::int AS steps_failed,
  (SELECT count(*) FROM workflow_approvals a WHERE a.instance_id = i.id AND a.status = 'pending')::int AS pending_approvals
FROM workflow_instances i
JOIN workflows w ON w.id = i.workflow_id;
--> statement-breakpoint
CREATE VIEW "vw_workflow_performance" AS
SELECT
  w.tenant_id,
  w.id AS workflow_id,
  w.name AS workflow_name,
  count(i.id)::int AS total_runs,
  count(i.id) FILTER (WHERE i.status = 'completed')::int AS completed_runs,
  count(i.id) FILTER (WHERE i.status = 'failed')::int AS failed_runs,
  count(i.id) FILTER (WHERE i.status IN ('pending', 'running', 'paused'))::int AS running_runs,
  (count(i.id) FILTER (WHERE i.status = 'completed'))::double precision
    / NULLIF(count(i.id) FILTER (WHERE i.status IN ('completed', 'failed', 'cancelled')), 0) AS success_rate,
  avg(EXTRACT(EPOCH FROM (i.completed_at - i.started_at))) FILTER (WHERE i.completed_at IS NOT NULL)::double precision AS avg_duration_seconds,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (i.completed_at - i.started_at))) FILTER (WHERE i.completed_at IS NOT NULL) AS p50_duration_seconds,
  percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (i.completed_at - i.started_at))) FILTER (WHERE i.completed_at IS NOT NULL) AS p95_duration_seconds,
  max(i.created_at) AS last_run_at
FROM workflows w
LEFT JOIN workflow_instances i ON i.workflow_id = w.id
GROUP BY w.tenant_id, w.id, w.name;
