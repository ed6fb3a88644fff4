CREATE TABLE `clock` (
	`name` text PRIMARY KEY NOT NULL,
	`slot` integer NOT NULL,
	`source` text NOT NULL,
	`taken_at` integer NOT NULL
);
