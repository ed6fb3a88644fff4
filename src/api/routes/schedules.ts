import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { jobs, scheduleRuns, schedules } from "../../db/schema";
import { iso, toJob } from "../../engine/job-view";
import { newId } from "../../engine/ids";
import { deleteSchedule, rewriteSchedule } from "../../schedules/change";
import { fireSchedule, triggerSchedule } from "../../schedules/fire";
import {
  CreateScheduleSchema,
  PreviewScheduleSchema,
  ScheduleRunSchema,
  SchedulePreviewSchema,
  ScheduleSchema,
  UpdateScheduleSchema,
} from "../../schemas/schedule";
import { type ScheduleRow, findSchedule, jobTemplate, toSchedule } from "../../schedules/store";
import { firstInstantAfter, instantsAfter } from "../../schedules/times";
import { checkSchedule, checkTiming } from "../../schedules/validate";
import { refuseUnknownSecrets } from "../../secrets/store";
import { assertRoom } from "../../quotas/check";
import { IdParam, PageQuery, errorResponses, jsonBody, jsonContent, listOf, withLocation } from "../../schemas/common";
import { JobSchema } from "../../schemas/job";
import { tenantJobTypes } from "../../jobs/tenant-types";
import { newRouter } from "../context";
import { ApiError } from "../errors";
import { requireAnyScope, requireScope } from "../middleware/auth";
import { cursorWith, decodeCursor, isIdCursor, pageOf } from "../pagination";

const tags = ["schedules"];

const createRouteDef = createRoute({
  method: "post",
  path: "/",
  operationId: "createSchedule",
  summary: "Create a schedule that submits a job on a cron expression or at a fixed interval (403 `quota_schedules` beyond the tenant's quota)",
  tags,
  middleware: [requireScope("jobs:write")] as const,
  request: jsonBody(CreateScheduleSchema),
  responses: { 201: withLocation(jsonContent(ScheduleSchema, "Created")), ...errorResponses(409, 422) },
});

const previewRouteDef = createRoute({
  method: "post",
  path: "/preview",
  operationId: "previewSchedule",
  summary: "The next run times of a schedule with this timing, were it created now (nothing is stored)",
  description:
    "Checks the timing as POST /schedules does, so it answers the same 400 or 422 a create would for it (a bad cron, an interval below the platform's minimum, an unknown time zone).",
  tags,
  middleware: [requireAnyScope(["jobs:read", "jobs:write"])] as const,
  request: jsonBody(PreviewScheduleSchema),
  responses: { 200: jsonContent(SchedulePreviewSchema, "The run times"), ...errorResponses(413, 422) },
});

const listRouteDef = createRoute({
  method: "get",
  path: "/",
  operationId: "listSchedules",
  summary: "List schedules, newest first",
  tags,
  middleware: [requireScope("jobs:read")] as const,
  request: { query: PageQuery },
  responses: { 200: jsonContent(listOf(ScheduleSchema, "ScheduleList"), "A page") },
});

const getRouteDef = createRoute({
  method: "get",
  path: "/{id}",
  operationId: "getSchedule",
  summary: "Get a schedule and its next five run times",
  tags,
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam },
  responses: { 200: jsonContent(ScheduleSchema, "The schedule"), ...errorResponses(404) },
});

const patchRouteDef = createRoute({
  method: "patch",
  path: "/{id}",
  operationId: "updateSchedule",
  summary: "Change a schedule (changing its timing or job cancels the runs planned but not started)",
  tags,
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam, ...jsonBody(UpdateScheduleSchema) },
  responses: { 200: jsonContent(ScheduleSchema, "Changed"), ...errorResponses(404, 409, 422) },
});

const deleteRouteDef = createRoute({
  method: "delete",
  path: "/{id}",
  operationId: "deleteSchedule",
  summary: "Delete a schedule, cancelling the runs planned but not started",
  tags,
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(404) },
});

const stateRoute = (action: "pause" | "resume", summary: string) =>
  createRoute({
    method: "post",
    path: `/{id}/${action}`,
    operationId: `${action}Schedule`,
    summary,
    tags,
    middleware: [requireScope("jobs:write")] as const,
    request: { params: IdParam },
    responses: { 200: jsonContent(ScheduleSchema, "The schedule"), ...errorResponses(404, 409) },
  });

const pauseRouteDef = stateRoute("pause", "Pause a schedule, cancelling the runs planned but not started");
const resumeRouteDef = stateRoute("resume", "Resume a schedule from now on (the paused time is not caught up)");

const triggerRouteDef = createRoute({
  method: "post",
  path: "/{id}/trigger",
  operationId: "triggerSchedule",
  summary: "Submit the schedule's job now, recorded as a manual run",
  tags,
  middleware: [requireScope("jobs:write")] as const,
  request: { params: IdParam },
  responses: { 202: withLocation(jsonContent(JobSchema, "Accepted")), ...errorResponses(404, 422, 429) },
});

const runsRouteDef = createRoute({
  method: "get",
  path: "/{id}/runs",
  operationId: "listScheduleRuns",
  summary: "List a schedule's runs with their jobs' current status, newest first; instants a rate limit or quota refused show as skipped, with the reason",
  tags,
  middleware: [requireScope("jobs:read")] as const,
  request: { params: IdParam, query: PageQuery },
  responses: { 200: jsonContent(listOf(ScheduleRunSchema, "ScheduleRunList"), "A page"), ...errorResponses(404) },
});

const isInstantCursor = cursorWith("instant", "number");
const msOrNull = (value: string | null | undefined) => (value ? Date.parse(value) : null);
const timingOf = (input: { cron?: string; intervalMs?: number; startsAt?: string; endsAt?: string }) => ({
  cron: input.cron ?? null,
  intervalMs: input.intervalMs ?? null,
  startsAt: msOrNull(input.startsAt),
  endsAt: msOrNull(input.endsAt),
});

function nameTaken(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed: schedules\.tenant, schedules\.name/.test(`${err.message} ${String(err.cause ?? "")}`);
}

/** Runs a write, turning a clash with another schedule's name into a 409. */
async function uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (nameTaken(err)) throw new ApiError(409, "name_taken", `a schedule named "${name}" already exists`);
    throw err;
  }
}

/** Pauses or resumes through the same path as any other change; doing it twice changes nothing. */
async function setEnabled(env: Env, db: Database, tenant: string, id: string, enabled: 0 | 1) {
  const now = Date.now();
  const current = await findSchedule(db, tenant, id);
  if (current.enabled !== enabled) await rewriteSchedule(env, db, current, { ...current, enabled }, now);
  return toSchedule(await findSchedule(db, tenant, id), now);
}

export const schedulesApi = newRouter()
  .openapi(previewRouteDef, async (c) => {
    const input = c.req.valid("json");
    const now = Date.now();
    const timing = timingOf(input);
    const timezone = checkTiming(c.env, { ...timing, timezone: input.timezone }, now);
    // As a schedule created now would run: an interval counts from `startsAt`, or else from now.
    return c.json({ nextRuns: instantsAfter({ ...timing, timezone, createdAt: now }, now, input.count).map(iso) }, 200);
  })
  .openapi(createRouteDef, async (c) => {
    const input = c.req.valid("json");
    const tenant = c.get("principal").tenant;
    const now = Date.now();
    const fields = timingOf(input);
    const types = await tenantJobTypes(c.env, tenant, [input.job.type]);
    const timezone = checkSchedule(c.env, tenant, { ...fields, timezone: input.timezone, job: input.job }, now, types);
    await refuseUnknownSecrets(c.env, tenant, [JSON.stringify(input.job.input ?? null)]);
    await assertRoom(c.env, tenant, "schedules", 1);
    const row: ScheduleRow = {
      id: newId("sch", now),
      tenant,
      name: input.name,
      ...fields,
      timezone,
      job: JSON.stringify(input.job),
      enabled: input.enabled ? 1 : 0,
      misfire: input.misfire,
      catchUpLimit: input.catchUpLimit,
      nextRunAt: null,
      lastRunAt: null,
      createdAt: now,
      updatedAt: now,
    };
    row.nextRunAt = input.enabled ? firstInstantAfter(row, now) : null;
    await uniqueName(input.name, () => c.get("db").insert(schedules).values(row).run());
    // Planning now rather than at the next tick keeps the runs of the coming minute on time.
    await fireSchedule(c.env, row, now);
    c.header("Location", `/api/v1/schedules/${row.id}`);
    return c.json(toSchedule(await findSchedule(c.get("db"), tenant, row.id), now), 201);
  })
  .openapi(listRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor ? decodeCursor(cursor, isIdCursor).id : undefined;
    const rows = await c
      .get("db")
      .select()
      .from(schedules)
      .where(and(eq(schedules.tenant, c.get("principal").tenant), after ? lt(schedules.id, after) : undefined))
      .orderBy(desc(schedules.id))
      .limit(limit + 1);
    const now = Date.now();
    return c.json(pageOf(rows, limit, (r) => toSchedule(r, now), (r) => ({ id: r.id })), 200);
  })
  .openapi(getRouteDef, async (c) => {
    const row = await findSchedule(c.get("db"), c.get("principal").tenant, c.req.valid("param").id);
    return c.json(toSchedule(row, Date.now()), 200);
  })
  .openapi(patchRouteDef, async (c) => {
    const changes = c.req.valid("json");
    const tenant = c.get("principal").tenant;
    const db = c.get("db");
    const now = Date.now();
    const current = await findSchedule(db, tenant, c.req.valid("param").id);
    const next: ScheduleRow = {
      ...current,
      name: changes.name ?? current.name,
      cron: changes.cron ?? (changes.intervalMs === undefined ? current.cron : null),
      intervalMs: changes.intervalMs ?? (changes.cron === undefined ? current.intervalMs : null),
      timezone: changes.timezone ?? current.timezone,
      job: changes.job ? JSON.stringify(changes.job) : current.job,
      enabled: changes.enabled === undefined ? current.enabled : changes.enabled ? 1 : 0,
      startsAt: changes.startsAt === undefined ? current.startsAt : msOrNull(changes.startsAt),
      endsAt: changes.endsAt === undefined ? current.endsAt : msOrNull(changes.endsAt),
      misfire: changes.misfire ?? current.misfire,
      catchUpLimit: changes.catchUpLimit ?? current.catchUpLimit,
    };
    const job = changes.job ?? jobTemplate(current);
    next.timezone = checkSchedule(c.env, tenant, { ...next, job }, now, await tenantJobTypes(c.env, tenant, [job.type]));
    if (changes.job) await refuseUnknownSecrets(c.env, tenant, [JSON.stringify(changes.job.input ?? null)]);
    await uniqueName(next.name, () => rewriteSchedule(c.env, db, current, next, now));
    return c.json(toSchedule(await findSchedule(db, tenant, current.id), now), 200);
  })
  .openapi(deleteRouteDef, async (c) => {
    await deleteSchedule(c.env, c.get("db"), c.get("principal").tenant, c.req.valid("param").id, Date.now());
    return c.body(null, 204);
  })
  .openapi(pauseRouteDef, async (c) => {
    return c.json(await setEnabled(c.env, c.get("db"), c.get("principal").tenant, c.req.valid("param").id, 0), 200);
  })
  .openapi(resumeRouteDef, async (c) => {
    return c.json(await setEnabled(c.env, c.get("db"), c.get("principal").tenant, c.req.valid("param").id, 1), 200);
  })
  .openapi(triggerRouteDef, async (c) => {
    const schedule = await findSchedule(c.get("db"), c.get("principal").tenant, c.req.valid("param").id);
    const job = await triggerSchedule(c.env, schedule, Date.now());
    c.header("Location", `/api/v1/jobs/${job.id}`);
    return c.json(toJob(job), 202);
  })
  .openapi(runsRouteDef, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const db = c.get("db");
    const schedule = await findSchedule(db, c.get("principal").tenant, c.req.valid("param").id);
    const before = cursor ? decodeCursor(cursor, isInstantCursor).instant : undefined;
    const rows = await db
      .select({ run: scheduleRuns, jobStatus: jobs.status })
      .from(scheduleRuns)
      .leftJoin(jobs, eq(jobs.id, scheduleRuns.jobId))
      .where(and(eq(scheduleRuns.scheduleId, schedule.id), before === undefined ? undefined : lt(scheduleRuns.instant, before)))
      .orderBy(desc(scheduleRuns.instant))
      .limit(limit + 1);
    const view = ({ run, jobStatus }: (typeof rows)[number]) => ({
      instant: iso(run.instant),
      trigger: run.trigger,
      jobId: run.jobId,
      jobStatus,
      skippedReason: run.skippedReason,
      createdAt: iso(run.createdAt),
    });
    return c.json(pageOf(rows, limit, view, (r) => ({ instant: r.run.instant })), 200);
  });
