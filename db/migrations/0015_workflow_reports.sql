-- Stored period reports (issue 13): each closed day, week and month's figures per workflow and client, written by
-- the daily period-reports workflow (an upsert, so a rerun stores the same rows). `client_id` is the runs' client,
-- null for runs without one; `metrics` holds what merges exactly (counts, sums, duration histograms), so a report
-- over many days reads these rows instead of every run (reports/period-metrics.ts says what is exact).
CREATE TABLE "workflow_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"workflow_id" uuid NOT NULL,
	"client_id" uuid,
	"period" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"metrics" jsonb NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_reports_period" CHECK ("period" in ('day', 'week', 'month'))
);
--> statement-breakpoint
ALTER TABLE "workflow_reports" ADD CONSTRAINT "workflow_reports_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_reports" ADD CONSTRAINT "workflow_reports_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- One row for the runs without a client too (coalesce: NULLS NOT DISTINCT needs PostgreSQL 15, the platform runs on 12+).
CREATE UNIQUE INDEX "workflow_reports_key" ON "workflow_reports" USING btree ("tenant_id","workflow_id",(coalesce("client_id", '00000000-0000-0000-0000-000000000000'::uuid)),"period","period_start");--> statement-breakpoint
CREATE INDEX "workflow_reports_workflow_period" ON "workflow_reports" USING btree ("workflow_id","period","period_start");--> statement-breakpoint
-- Which periods of a tenant were computed: a day with no run has no workflow_reports row, yet is covered.
CREATE TABLE "report_periods" (
	"tenant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "report_periods_pkey" PRIMARY KEY ("tenant_id","period","period_start"),
	CONSTRAINT "report_periods_period" CHECK ("period" in ('day', 'week', 'month'))
);
--> statement-breakpoint
ALTER TABLE "report_periods" ADD CONSTRAINT "report_periods_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Who receives each period's summary by email (PUT /api/reports/subscriptions, admins only).
CREATE TABLE "report_subscriptions" (
	"tenant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"recipients" text[] DEFAULT '{}' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "report_subscriptions_pkey" PRIMARY KEY ("tenant_id","period"),
	CONSTRAINT "report_subscriptions_period" CHECK ("period" in ('day', 'week', 'month'))
);
--> statement-breakpoint
ALTER TABLE "report_subscriptions" ADD CONSTRAINT "report_subscriptions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;
