import { describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { api, json, newTenant } from "./helpers";

const quick = { type: "simulate", input: { steps: 1, stepMs: 0 } };
const HOUR = 3_600_000;

const preview = (key: string | null, body: unknown) => api("/schedules/preview", { key, body });
const runsOf = async (key: string, body: unknown) => (await json<{ nextRuns: string[] }>(await preview(key, body), 200)).nextRuns;
const withoutRequestId = (body: { error: Record<string, unknown> }) => ({ error: { ...body.error, requestId: undefined } });

describe("POST /schedules/preview", () => {
  it("gives the next run times a schedule with the timing would have", async () => {
    const { key } = await newTenant();
    // 03:00 in Berlin is 02:00Z in winter, as the created schedule's nextRuns say.
    const timing = { cron: "0 3 * * *", timezone: "Europe/Berlin", startsAt: "2027-01-01T00:00:00Z" };
    const runs = ["01", "02", "03", "04", "05"].map((d) => `2027-01-${d}T02:00:00.000Z`);
    expect(await json(await preview(key, timing), 200)).toEqual({ nextRuns: runs });
    const created = await json(await api("/schedules", { key, body: { name: "nightly", job: quick, ...timing } }), 201);
    expect(created.nextRuns).toEqual(runs);

    expect(await runsOf(key, { ...timing, count: 2 })).toEqual(runs.slice(0, 2));
    expect(await runsOf(key, { ...timing, count: 20 })).toHaveLength(20);
    expect(await runsOf(key, { ...timing, endsAt: "2027-01-03T12:00:00Z" })).toEqual(runs.slice(0, 3));
    expect(await runsOf(key, { intervalMs: HOUR, startsAt: "2027-01-01T00:00:00Z" })).toEqual([0, 1, 2, 3, 4].map((h) => `2027-01-01T0${h}:00:00.000Z`));
    expect(await runsOf(key, { cron: "0 9 * * *", endsAt: "2020-01-01T00:00:00Z" })).toEqual([]);

    // An interval without startsAt counts from now, as one created now would.
    const before = Date.now();
    const fromNow = (await runsOf(key, { intervalMs: HOUR, count: 3 })).map(Date.parse);
    const after = Date.now();
    expect(fromNow[0]).toBeGreaterThanOrEqual(before + HOUR);
    expect(fromNow[0]).toBeLessThanOrEqual(after + HOUR);
    expect(fromNow).toEqual([0, 1, 2].map((k) => fromNow[0]! + k * HOUR));

    // Nothing is stored: the only schedule is the one created above.
    expect((await json(await api("/schedules", { key }), 200)).items.map((s: { name: string }) => s.name)).toEqual(["nightly"]);
  });

  it("refuses a timing the create refuses with the same error, naming what is wrong", async () => {
    const { key } = await newTenant();
    expect(await json(await preview(key, { cron: "0 9 * * *", timezone: "Mars/Olympus" }), 422)).toEqual({
      error: {
        code: "invalid_schedule",
        message: 'the schedule was not accepted: timezone: unknown time zone "Mars/Olympus"',
        details: [{ path: "timezone", message: 'unknown time zone "Mars/Olympus"' }],
        requestId: expect.any(String),
      },
    });
    expect(await json(await preview(key, { intervalMs: 9_999 }), 422)).toEqual({
      error: {
        code: "invalid_schedule",
        message: "the schedule was not accepted: intervalMs: runs as often as every 9.999 s; a schedule may run at most once every 10 s",
        details: [{ path: "intervalMs", message: "runs as often as every 9.999 s; a schedule may run at most once every 10 s" }],
        requestId: expect.any(String),
      },
    });
    expect(await json(await preview(key, { cron: "0 0 30 2 *" }), 422)).toEqual({
      error: {
        code: "invalid_schedule",
        message: "the schedule was not accepted: cron: the expression never matches a date",
        details: [{ path: "cron", message: "the expression never matches a date" }],
        requestId: expect.any(String),
      },
    });
    expect(await json(await preview(key, { cron: "* * * * *", intervalMs: 60_000 }), 400)).toEqual({
      error: {
        code: "validation_failed",
        message: "request failed validation in json",
        details: [{ path: "cron", message: "give exactly one of cron or intervalMs", code: "custom" }],
        requestId: expect.any(String),
      },
    });

    const timings = [
      { cron: "61 * * * *" },
      { cron: "every day" },
      { cron: "2030-01-01T00:00:00" },
      { cron: "*/5 * * * * *" },
      { cron: "0,5,30 * * * * *", timezone: "Europe/Berlin" },
      { intervalMs: 999 },
      { intervalMs: 60_000, startsAt: "2027-01-02T00:00:00Z", endsAt: "2027-01-01T00:00:00Z" },
      { intervalMs: 60_000, startsAt: "tomorrow" },
      {},
    ];
    for (const timing of timings) {
      const created = await api("/schedules", { key, body: { name: "x", job: quick, ...timing } });
      const previewed = await preview(key, timing);
      expect(previewed.status, JSON.stringify(timing)).toBe(created.status);
      expect(created.status, JSON.stringify(timing)).toBeGreaterThanOrEqual(400);
      const [c, p] = [await created.json(), await previewed.json()] as { error: Record<string, unknown> }[];
      expect(withoutRequestId(p!), JSON.stringify(timing)).toEqual(withoutRequestId(c!));
    }
    expect((await json(await api("/schedules", { key }), 200)).items).toEqual([]);
  });

  it("takes only the timing fields and a count of 1 to 20", async () => {
    const { key } = await newTenant();
    const refused = async (body: unknown) => expectError(await preview(key, body), 400, "validation_failed");
    expect((await refused({ cron: "0 9 * * *", count: 21 })).details).toEqual([
      { path: "count", message: "Too big: expected number to be <=20", code: "too_big" },
    ]);
    expect((await refused({ cron: "0 9 * * *", count: 0 })).details?.map((d) => d.path)).toEqual(["count"]);
    expect((await refused({ cron: "0 9 * * *", job: quick })).details).toEqual([{ path: "", message: 'Unrecognized key: "job"', code: "unrecognized_keys" }]);
    await expectError(await api("/schedules/preview", { key, body: "{not json" }), 400, "malformed_json");
  });

  it("opens to a key with jobs:read or jobs:write", async () => {
    const body = { cron: "0 9 * * *" };
    for (const scopes of [["jobs:read"], ["jobs:write"]]) {
      const { key } = await newTenant(scopes);
      expect(await runsOf(key, body)).toHaveLength(5);
    }
    const { key } = await newTenant(["reports:read"]);
    expect(await json(await preview(key, body), 403)).toEqual({
      error: { code: "forbidden", message: "this key lacks the `jobs:read` or `jobs:write` scope", requestId: expect.any(String) },
    });
    await expectError(await preview(null, body), 401, "unauthorized");
  });

  it("is in the OpenAPI document beside, not under, the schedule routes by id", async () => {
    const doc = await json(await api("/openapi.json", { key: null }), 200);
    const op = doc.paths["/api/v1/schedules/preview"].post;
    expect(op.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/PreviewSchedule" });
    expect(Object.keys(op.responses).sort()).toEqual(["200", "400", "401", "403", "413", "422", "500", "503"]);
    expect(Object.keys(doc.components.schemas.PreviewSchedule.properties)).toEqual(["cron", "intervalMs", "timezone", "startsAt", "endsAt", "count"]);
    expect(doc.components.schemas.SchedulePreview.required).toEqual(["nextRuns"]);
  });
});
