import { describe, expect, it } from "vitest";
import { api, json, newTenant, submit, waitForStatus } from "./helpers";

describe("a job's life", () => {
  it("runs a simulate job to completion on the real queue", async () => {
    const { key } = await newTenant();
    const job = await submit(key, { type: "simulate", input: { steps: 2, stepMs: 10 } });
    expect(job).toMatchObject({ status: "queued", attempts: 0, startedAt: null, progress: { percent: 0 } });
    const done = await waitForStatus(key, job.id, ["completed"]);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { steps: 2, attempt: 1 }, progress: { percent: 100 } });
    expect(done.startedAt).not.toBeNull();
    const result = await json(await api(`/jobs/${job.id}/result`, { key }), 200);
    expect(result).toEqual({ id: job.id, status: "completed", result: { steps: 2, attempt: 1 } });
  });
});
