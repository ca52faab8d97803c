CREATE TABLE "workflow_variables" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"key" text NOT NULL,
	"type" text NOT NULL,
	"value" jsonb,
	"encrypted" text,
	"key_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_variables_type_check" CHECK (type in ('string', 'number', 'boolean', 'json', 'secret')),
	CONSTRAINT "workflow_variables_secret_encrypted" CHECK ((type = 'secret') = (encrypted is not null))
);
--> statement-breakpoint
ALTER TABLE "workflow_variables" ADD CONSTRAINT "workflow_variables_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_variables_tenant_key" ON "workflow_variables" USING btree ("tenant_id","key");