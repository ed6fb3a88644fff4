-- Full-text index over document chunks (FTS5, external content: the text lives in document_chunks).
-- Triggers keep it in step with inserts and deletes; drizzle-kit cannot describe virtual tables.
CREATE VIRTUAL TABLE `chunks_fts` USING fts5(`text`, content='document_chunks', content_rowid='id', tokenize='porter unicode61');
--> statement-breakpoint
CREATE TRIGGER `document_chunks_ai` AFTER INSERT ON `document_chunks` BEGIN
  INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
--> statement-breakpoint
CREATE TRIGGER `document_chunks_ad` AFTER DELETE ON `document_chunks` BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
