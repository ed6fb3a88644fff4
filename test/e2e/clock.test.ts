import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "./dev-server";

let server: DevServer;
const auth = { authorization: `Bearer ${E2E_ADMIN_KEY}`, "content-type": "application/json" };
const TWO_MINUTES = 120_000;

interface Job {
  status: string;
  runAt: string;
  startedAt: string | null;
  idempotencyKey: string | null;
}

async function jobsOf(scheduleId: string): Promise<Job[]> {
  const res = await fetch(`${server.url}/api/v1/jobs?tag=${encodeURIComponent(`schedule:${scheduleId}`)}&limit=200`, { headers: auth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Job[] }).items;
}

const instantsOf = (jobs: Job[]) => jobs.map((j) => Date.parse(j.runAt)).sort((a, b) => a - b);

beforeAll(async () => {
  server = await startDevServer();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe("the clock under wrangler dev", () => {
  // Nothing here triggers the Cron Trigger: wrangler dev never fires it, so only the clock's alarm
  // can plan the instants after the first minute, which the schedule's creation plans.
  it("keeps a */10 s schedule firing on its instants for more than two minutes", async () => {
    const res = await fetch(`${server.url}/api/v1/schedules`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ name: "every-ten-seconds", cron: "*/10 * * * * *", job: { type: "simulate", input: { steps: 1, stepMs: 0 } } }),
    });
    expect(res.status).toBe(201);
    const schedule = (await res.json()) as { id: string };

    const deadline = Date.now() + TWO_MINUTES + 40_000;
    let completed: number[] = [];
    while (completed.length < 13 || completed.at(-1)! - completed[0]! < TWO_MINUTES) {
      if (Date.now() > deadline) throw new Error(`completed instants: ${completed.map((t) => new Date(t).toISOString())}\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 2_000));
      completed = instantsOf((await jobsOf(schedule.id)).filter((j) => j.status === "completed"));
    }

    const jobs = await jobsOf(schedule.id);
    const instants = instantsOf(jobs);
    // Every instant from the first on has exactly one job: no gap between ticks, nothing doubled.
    expect(instants).toEqual(instants.map((_, i) => instants[0]! + i * 10_000));
    expect(new Set(jobs.map((j) => j.idempotencyKey)).size).toBe(jobs.length);
    for (const job of jobs.filter((j) => j.status === "completed")) {
      const late = Date.parse(job.startedAt!) - Date.parse(job.runAt);
      expect(late, job.runAt).toBeGreaterThanOrEqual(0);
      expect(late, job.runAt).toBeLessThan(15_000);
    }
  }, TWO_MINUTES + 60_000);
});
