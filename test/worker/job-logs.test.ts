import { describe, expect, it } from "vitest";
import { rawSql } from "../../src/db/raw";
import { type LogEntry, logStatements } from "../../src/engine/store/settle";
import { env } from "./helpers";

describe("job log writes", () => {
  it("skip entries already written, so a durable job's replay does not repeat its steps' logs", async () => {
    const jobId = `job_${crypto.randomUUID()}`;
    const entries: LogEntry[] = [
      { jobId, at: 1_000, attempt: 1, level: "info", message: "step 1 ran on attempt 1" },
      { jobId, at: 1_000, attempt: 1, level: "info", message: "a second line in the same millisecond" },
      { jobId, at: 1_005, attempt: 2, level: "warn", message: "step 1 ran on attempt 1" },
    ];
    const sql = rawSql(env.DB);
    await env.DB.batch(logStatements(sql, entries));
    // A replay hands the first two over again, with one new entry.
    await env.DB.batch(logStatements(sql, [entries[0]!, entries[1]!, { ...entries[0]!, at: 2_000, message: "step 2 ran on attempt 1" }]));
    const { results } = await env.DB.prepare("SELECT at, attempt, message FROM job_logs WHERE job_id = ? ORDER BY id").bind(jobId).all();
    expect(results).toEqual([
      { at: 1_000, attempt: 1, message: "step 1 ran on attempt 1" },
      { at: 1_000, attempt: 1, message: "a second line in the same millisecond" },
      { at: 1_005, attempt: 2, message: "step 1 ran on attempt 1" },
      { at: 2_000, attempt: 1, message: "step 2 ran on attempt 1" },
    ]);
  });
});
