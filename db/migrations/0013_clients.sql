-- The organisations a tenant runs work for (api-contract.md, "Reports, metrics, templates, clients"). Workflows and
-- runs may name one; a client still named by any of them cannot be deleted (the API answers 409 first, saying what).
CREATE TABLE "clients" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"contact_email" text,
	"notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "clients" ADD CONSTRAINT "clients_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "clients_tenant_name" ON "clients" USING btree ("tenant_id","name");--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "client_id" uuid;--> statement-breakpoint
ALTER TABLE "workflow_instances" ADD COLUMN "client_id" uuid;--> statement-breakpoint
ALTER TABLE "workflows" ADD CONSTRAINT "workflows_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_instances" ADD CONSTRAINT "workflow_instances_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "workflows_tenant_client" ON "workflows" USING btree ("tenant_id","client_id");--> statement-breakpoint
CREATE INDEX "workflow_instances_tenant_client_created" ON "workflow_instances" USING btree ("tenant_id","client_id","created_at");--> statement-breakpoint
-- A run names its workflow's client unless whoever started it named one: every path that inserts a run (the API,
-- webhooks, events, schedules, subworkflow children) gets the same default without each of them knowing of clients.
CREATE OR REPLACE FUNCTION "graphflow_run_client_default"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT w.client_id INTO NEW.client_id FROM workflows w WHERE w.id = NEW.workflow_id;
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "workflow_instances_client_default" BEFORE INSERT ON "workflow_instances" FOR EACH ROW WHEN (NEW.client_id IS NULL) EXECUTE FUNCTION "graphflow_run_client_default"();
