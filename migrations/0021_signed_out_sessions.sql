-- Dashboard sessions signed out before they expired: their signed cookies are refused from then on.
CREATE TABLE `signed_out_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
