import { describe, expect, it } from "vitest";
import { getJob, newTenant, submit, waitFor, waitForStatus } from "./helpers";

describe("fairness between tenants in a lane", () => {
  it("runs another tenant's fast job while one tenant's slow jobs hold the lane's consumers", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const slow = await Promise.all(
      Array.from({ length: 8 }, () => submit(a.key, { type: "simulate", input: { steps: 1, stepMs: 8_000 } })),
    );
    for (const job of slow) await waitForStatus(a.key, job.id, ["running"]);

    const fast = await submit(b.key, { type: "simulate", input: { steps: 1, stepMs: 0 } });
    const done = await waitForStatus(b.key, fast.id, ["completed"], 6_000);
    expect(done.status).toBe("completed");
    // Finished (and settled) while every one of the slow jobs still ran: it did not wait behind them.
    for (const job of slow) expect((await getJob(a.key, job.id)).status).toBe("running");
    for (const job of slow) await waitFor(() => getJob(a.key, job.id), (j) => j.status === "completed", 30_000);
  });

  it("starts another tenant's durable job while one tenant's slow direct jobs hold the lane's consumers", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const slow = await Promise.all(
      Array.from({ length: 8 }, () => submit(a.key, { type: "simulate", input: { steps: 1, stepMs: 8_000 } })),
    );
    for (const job of slow) await waitForStatus(a.key, job.id, ["running"]);

    const durable = await submit(b.key, { type: "simulate", input: { steps: 2, stepMs: 0, durable: true } });
    expect((await waitForStatus(b.key, durable.id, ["completed"], 6_000)).status).toBe("completed");
    for (const job of slow) expect((await getJob(a.key, job.id)).status).toBe("running");
    for (const job of slow) await waitFor(() => getJob(a.key, job.id), (j) => j.status === "completed", 30_000);
  });

  it("settles a finished job of a batch at once, not when its slowest job ends", async () => {
    const { key } = await newTenant();
    const jobs = await Promise.all([
      submit(key, { type: "simulate", input: { steps: 1, stepMs: 6_000 }, delayMs: 1_000 }),
      submit(key, { type: "simulate", input: { steps: 1, stepMs: 50 }, delayMs: 1_000 }),
    ]);
    const quick = await waitForStatus(key, jobs[1]!.id, ["completed"], 5_000);
    expect(quick.status).toBe("completed");
    expect((await getJob(key, jobs[0]!.id)).status).toBe("running");
    await waitForStatus(key, jobs[0]!.id, ["completed"], 20_000);
  });
});
