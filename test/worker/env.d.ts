declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** The second D1 shard the tests run with (vitest.config.ts). */
    DB_1: D1Database;
  }
}
