CREATE TABLE `batch_items` (
	`job_id` text NOT NULL,
	`idx` integer NOT NULL,
	`status` text NOT NULL,
	`input` text NOT NULL,
	`result` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	PRIMARY KEY(`job_id`, `idx`)
);
