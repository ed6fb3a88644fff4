CREATE TABLE `dataset_rows` (
	`tenant` text NOT NULL,
	`dataset` text NOT NULL,
	`key` text NOT NULL,
	`data` text NOT NULL,
	`source_row` integer NOT NULL,
	`job_id` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant`, `dataset`, `key`)
);
--> statement-breakpoint
CREATE TABLE `datasets` (
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`schema` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant`, `name`)
);
