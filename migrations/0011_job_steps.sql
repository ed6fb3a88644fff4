CREATE TABLE `job_steps` (
	`job_id` text NOT NULL,
	`series` integer NOT NULL,
	`name` text NOT NULL,
	`value` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`job_id`, `series`, `name`)
);
