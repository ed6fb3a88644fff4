// The slice of the D1 binding that the job store's statement builders use (`prepare().bind()`,
// `batch()`), over node:sqlite, so the bench can time the platform's own statements on SQLite with
// a clock that advances while SQL runs (workerd's does not). Like D1, a batch is one transaction,
// and each result's `meta.duration` is the time SQLite spent on that statement.
import { DatabaseSync, type StatementSync } from "node:sqlite";

type Value = null | number | bigint | string | Uint8Array;

export interface SqliteResult {
  success: true;
  results: Record<string, unknown>[];
  meta: { duration: number; changes: number };
}

export interface SqliteStatement {
  readonly sql: string;
  readonly params: Value[];
  bind(...values: unknown[]): SqliteStatement;
  all(): Promise<SqliteResult>;
  run(): Promise<SqliteResult>;
}

export interface SqliteD1 {
  prepare(sql: string): SqliteStatement;
  batch(statements: SqliteStatement[]): Promise<SqliteResult[]>;
  /** The database file's size in bytes (page count × page size). */
  bytes(): number;
  close(): void;
}

/** D1 binds booleans as 0/1 and refuses undefined; the builders already map undefined to null. */
function toValue(value: unknown): Value {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === undefined) return null;
  return value as Value;
}

/**
 * A D1-like database in the file at `path` (WAL, `synchronous = NORMAL`: commits reach the OS, not
 * the disk, since D1's durability is its own replication and not this machine's fsync).
 */
export function sqliteD1(path: string): SqliteD1 {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
  // D1 keeps prepared statements; the builders' text is stable (rows travel as one JSON value).
  const prepared = new Map<string, StatementSync>();
  const compiled = (sql: string) => {
    let statement = prepared.get(sql);
    if (!statement) prepared.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  const changes = db.prepare("SELECT changes() AS n");

  function execute(statement: SqliteStatement): SqliteResult {
    const sqlite = compiled(statement.sql);
    const started = performance.now();
    const rows = sqlite.columns().length > 0 ? (sqlite.all(...statement.params) as Record<string, unknown>[]) : (sqlite.run(...statement.params), []);
    const duration = performance.now() - started;
    return { success: true, results: rows, meta: { duration, changes: Number((changes.get() as { n: number }).n) } };
  }

  function statement(sql: string, params: Value[]): SqliteStatement {
    return {
      sql,
      params,
      bind: (...values) => statement(sql, values.map(toValue)),
      all: async () => batch([statement(sql, params)]).then(([result]) => result!),
      run: async () => batch([statement(sql, params)]).then(([result]) => result!),
    };
  }

  async function batch(statements: SqliteStatement[]): Promise<SqliteResult[]> {
    db.exec("BEGIN IMMEDIATE");
    try {
      const results = statements.map(execute);
      db.exec("COMMIT");
      return results;
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  }

  return {
    prepare: (sql) => statement(sql, []),
    batch,
    bytes: () => {
      const pages = db.prepare("PRAGMA page_count").get() as { page_count: number };
      const size = db.prepare("PRAGMA page_size").get() as { page_size: number };
      return pages.page_count * size.page_size;
    },
    close: () => db.close(),
  };
}
