CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`content_type` text NOT NULL,
	`status` text NOT NULL,
	`size` integer,
	`sha256` text,
	`multipart_id` text,
	`created_at` integer NOT NULL,
	`completed_at` integer
);
--> statement-breakpoint
CREATE INDEX `uploads_tenant_id` ON `uploads` (`tenant`,`id`);