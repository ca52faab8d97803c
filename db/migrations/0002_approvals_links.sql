CREATE TABLE "platform_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD COLUMN "outcomes" text[] DEFAULT '{approved,rejected}'::text[] NOT NULL;