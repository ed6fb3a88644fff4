-- Each dataset counts its rows, so that the rows quota is read from the tenant's few datasets
-- instead of counting every row the tenant holds before each chunk of an import.
ALTER TABLE `datasets` ADD `row_count` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
UPDATE `datasets` SET `row_count` = (
	SELECT count(*) FROM `dataset_rows` WHERE `dataset_rows`.`tenant` = `datasets`.`tenant` AND `dataset_rows`.`dataset` = `datasets`.`name`
);
