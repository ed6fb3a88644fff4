-- Search analytics (issue 16, src/search-analytics/): every GET /search is logged (one row, keyed so
-- that it needs no index: WITHOUT ROWID), and the clock folds the log into per-tenant aggregates,
-- bounded per tenant, and each tenant's indexed chunks into its vocabulary.
CREATE TABLE `search_days` (
	`tenant` text NOT NULL,
	`day` integer NOT NULL,
	`searches` integer DEFAULT 0 NOT NULL,
	`found` integer DEFAULT 0 NOT NULL,
	`results` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant`, `day`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `search_history_clears` (
	`tenant` text PRIMARY KEY NOT NULL,
	`cleared_at` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `search_log` (
	`tenant` text NOT NULL,
	`at` integer NOT NULL,
	`seq` integer NOT NULL,
	`query` text NOT NULL,
	`collection` text,
	`results` integer NOT NULL,
	PRIMARY KEY(`tenant`, `at`, `seq`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `search_marks` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `search_queries` (
	`tenant` text NOT NULL,
	`normalized` text NOT NULL,
	`searches` integer DEFAULT 0 NOT NULL,
	`found` integer DEFAULT 0 NOT NULL,
	`last_at` integer NOT NULL,
	PRIMARY KEY(`tenant`, `normalized`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `search_query_days` (
	`tenant` text NOT NULL,
	`day` integer NOT NULL,
	`normalized` text NOT NULL,
	`searches` integer DEFAULT 0 NOT NULL,
	`found` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant`, `day`, `normalized`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `search_vocabulary` (
	`tenant` text NOT NULL,
	`term` text NOT NULL,
	`documents` integer NOT NULL,
	PRIMARY KEY(`tenant`, `term`)
) WITHOUT ROWID;
--> statement-breakpoint
-- A rowid table: its rows (a document's terms) are too large to sit in a key's b-tree.
CREATE TABLE `search_vocabulary_documents` (
	`document_id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`terms` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `search_vocabulary_removals` (
	`document_id` text PRIMARY KEY NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `tenant_settings` ADD `search_analytics` integer;--> statement-breakpoint
ALTER TABLE `tenant_settings` ADD `search_retention_days` integer;--> statement-breakpoint
INSERT INTO `search_marks` (`name`, `value`) VALUES ('log', 0), ('chunks', 0);
--> statement-breakpoint
-- Every deletion of a document's chunks (the document deleted, ingested again, or failed) deletes its
-- first chunk: one removal row per document, which the clock takes the document's terms back for.
-- Drizzle cannot describe triggers.
CREATE TRIGGER `document_chunks_vocabulary_ad` AFTER DELETE ON `document_chunks` WHEN old.seq = 0 BEGIN
  INSERT OR IGNORE INTO search_vocabulary_removals (document_id) VALUES (old.document_id);
END;
