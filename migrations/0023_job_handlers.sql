-- Job types tenants serve from their own HTTPS endpoints (src/handlers/, src/jobs/handler.ts), and the
-- attempts such a handler answered 202 for, which wait for its callback until their time limit.
CREATE TABLE `handler_waits` (
	`job_id` text PRIMARY KEY NOT NULL,
	`claim_token` text NOT NULL,
	`deadline` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `handler_waits_deadline` ON `handler_waits` (`deadline`);--> statement-breakpoint
CREATE TABLE `job_handlers` (
	`tenant` text NOT NULL,
	`type` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`input_schema` text,
	`max_attempts` integer NOT NULL,
	`backoff` text NOT NULL,
	`timeout_ms` integer NOT NULL,
	`concurrency_limit` integer,
	`callback_base` text NOT NULL,
	`secret_ciphertext` text NOT NULL,
	`secret_iv` text NOT NULL,
	`previous_ciphertext` text,
	`previous_iv` text,
	`previous_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant`, `type`)
);
