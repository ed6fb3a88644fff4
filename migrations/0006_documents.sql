CREATE TABLE `document_chunks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`document_id` text NOT NULL,
	`tenant` text NOT NULL,
	`collection` text NOT NULL,
	`seq` integer NOT NULL,
	`text` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `document_chunks_doc_seq` ON `document_chunks` (`document_id`,`seq`);--> statement-breakpoint
CREATE TABLE `documents` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`collection` text NOT NULL,
	`name` text NOT NULL,
	`upload_id` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`status` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`chunks` integer DEFAULT 0 NOT NULL,
	`text_length` integer,
	`error` text,
	`job_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `documents_tenant_collection` ON `documents` (`tenant`,`collection`,`id`);--> statement-breakpoint
CREATE INDEX `documents_tenant_id` ON `documents` (`tenant`,`id`);