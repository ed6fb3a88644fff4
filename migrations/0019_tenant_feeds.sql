-- The tenants whose live feed (GET /api/v1/events) has subscribers: the job store publishes to a
-- tenant's feed only while its row is here and current (src/durable/tenant-feed.ts).
CREATE TABLE `tenant_feeds` (
	`tenant` text PRIMARY KEY NOT NULL,
	`until` integer NOT NULL
);
