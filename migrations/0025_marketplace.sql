-- The template marketplace (src/marketplace/): the one place tenants share, read and written only in
-- the platform database (`DB`); like the clock's table it exists in every shard and stays empty in
-- the others. Publishing snapshots a template version here; downloads copy one into a tenant's shard.
CREATE TABLE `marketplace_authors` (
	`tenant` text PRIMARY KEY NOT NULL,
	`display_name` text NOT NULL,
	`name_key` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `marketplace_authors_name_key` ON `marketplace_authors` (`name_key`);--> statement-breakpoint
CREATE TABLE `marketplace_downloads` (
	`template_id` text NOT NULL,
	`tenant` text NOT NULL,
	`version` integer NOT NULL,
	`downloaded_at` integer NOT NULL,
	PRIMARY KEY(`template_id`, `tenant`)
);
--> statement-breakpoint
CREATE TABLE `marketplace_reviews` (
	`id` text PRIMARY KEY NOT NULL,
	`template_id` text NOT NULL,
	`tenant` text NOT NULL,
	`rating` integer NOT NULL,
	`comment` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `marketplace_reviews_template_tenant` ON `marketplace_reviews` (`template_id`,`tenant`);--> statement-breakpoint
CREATE INDEX `marketplace_reviews_template_id` ON `marketplace_reviews` (`template_id`,`id`);--> statement-breakpoint
CREATE TABLE `marketplace_template_tags` (
	`tag` text NOT NULL,
	`template_id` text NOT NULL,
	PRIMARY KEY(`tag`, `template_id`)
);
--> statement-breakpoint
CREATE INDEX `marketplace_template_tags_template` ON `marketplace_template_tags` (`template_id`);--> statement-breakpoint
CREATE TABLE `marketplace_templates` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`publisher` text NOT NULL,
	`source_template_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`tags` text DEFAULT '[]' NOT NULL,
	`format` text NOT NULL,
	`latest_version` integer NOT NULL,
	`preview_sha256` text,
	`preview_type` text,
	`preview_size` integer,
	`downloads` integer DEFAULT 0 NOT NULL,
	`rating_sum` integer DEFAULT 0 NOT NULL,
	`rating_count` integer DEFAULT 0 NOT NULL,
	`rating_avg` real DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `marketplace_templates_id` ON `marketplace_templates` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `marketplace_templates_source` ON `marketplace_templates` (`publisher`,`source_template_id`);--> statement-breakpoint
CREATE INDEX `marketplace_templates_publisher` ON `marketplace_templates` (`publisher`,`id`);--> statement-breakpoint
CREATE INDEX `marketplace_templates_downloads` ON `marketplace_templates` (`downloads`,`id`);--> statement-breakpoint
CREATE INDEX `marketplace_templates_rating` ON `marketplace_templates` (`rating_avg`,`rating_count`,`id`);--> statement-breakpoint
CREATE INDEX `marketplace_templates_updated` ON `marketplace_templates` (`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `marketplace_templates_preview` ON `marketplace_templates` (`preview_sha256`) WHERE preview_sha256 IS NOT NULL;--> statement-breakpoint
CREATE TABLE `marketplace_versions` (
	`template_id` text NOT NULL,
	`version` integer NOT NULL,
	`format` text NOT NULL,
	`variables` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`template_id`, `version`)
);
--> statement-breakpoint
-- Full-text index over the listings' name, description and tags (FTS5, external content: the text
-- lives in marketplace_templates under its declared rowid `seq`), ranked with bm25. The triggers keep
-- it in step; updates of the counters touch no indexed column and so leave it alone.
CREATE VIRTUAL TABLE `marketplace_fts` USING fts5(`name`, `description`, `tags`, content='marketplace_templates', content_rowid='seq', tokenize='porter unicode61');
--> statement-breakpoint
CREATE TRIGGER `marketplace_templates_ai` AFTER INSERT ON `marketplace_templates` BEGIN
  INSERT INTO marketplace_fts(rowid, name, description, tags) VALUES (new.seq, new.name, new.description, new.tags);
END;
--> statement-breakpoint
CREATE TRIGGER `marketplace_templates_ad` AFTER DELETE ON `marketplace_templates` BEGIN
  INSERT INTO marketplace_fts(marketplace_fts, rowid, name, description, tags) VALUES ('delete', old.seq, old.name, old.description, old.tags);
END;
--> statement-breakpoint
CREATE TRIGGER `marketplace_templates_au` AFTER UPDATE OF `name`, `description`, `tags` ON `marketplace_templates` BEGIN
  INSERT INTO marketplace_fts(marketplace_fts, rowid, name, description, tags) VALUES ('delete', old.seq, old.name, old.description, old.tags);
  INSERT INTO marketplace_fts(rowid, name, description, tags) VALUES (new.seq, new.name, new.description, new.tags);
END;
--> statement-breakpoint
-- Ratings stay exact however many reviews arrive at once: each review written (an insert), replaced
-- (an upsert's update, by the difference) or deleted moves its template's sum and count inside the
-- statement that writes it, and D1 runs statements one at a time. `rating_avg` is their quotient.
CREATE TRIGGER `marketplace_reviews_ai` AFTER INSERT ON `marketplace_reviews` BEGIN
  UPDATE marketplace_templates SET rating_sum = rating_sum + new.rating, rating_count = rating_count + 1,
    rating_avg = CAST(rating_sum + new.rating AS REAL) / (rating_count + 1)
  WHERE id = new.template_id;
END;
--> statement-breakpoint
CREATE TRIGGER `marketplace_reviews_au` AFTER UPDATE OF `rating` ON `marketplace_reviews` BEGIN
  UPDATE marketplace_templates SET rating_sum = rating_sum - old.rating + new.rating,
    rating_avg = CAST(rating_sum - old.rating + new.rating AS REAL) / rating_count
  WHERE id = new.template_id;
END;
--> statement-breakpoint
CREATE TRIGGER `marketplace_reviews_ad` AFTER DELETE ON `marketplace_reviews` BEGIN
  UPDATE marketplace_templates SET rating_sum = rating_sum - old.rating, rating_count = rating_count - 1,
    rating_avg = CASE WHEN rating_count > 1 THEN CAST(rating_sum - old.rating AS REAL) / (rating_count - 1) ELSE 0 END
  WHERE id = old.template_id;
END;
--> statement-breakpoint
-- A tenant's first download of a template inserts its row (later ones insert nothing: ON CONFLICT DO
-- NOTHING), so the count moves once per tenant, in the same statement.
CREATE TRIGGER `marketplace_downloads_ai` AFTER INSERT ON `marketplace_downloads` BEGIN
  UPDATE marketplace_templates SET downloads = downloads + 1 WHERE id = new.template_id;
END;
