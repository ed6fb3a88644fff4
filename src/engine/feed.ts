import type { z } from "zod";
import type { JobRow } from "../db/client";
import type { FeedJobEventSchema, FeedProgressEventSchema } from "../schemas/events";

/**
 * What a tenant's live feed (GET /api/v1/events) carries: a job was created or changed status,
 * or a running job reported progress. The feed's Durable Object adds `seq`.
 */
export type FeedEvent = Omit<z.infer<typeof FeedJobEventSchema>, "seq"> | Omit<z.infer<typeof FeedProgressEventSchema>, "seq">;

export interface FeedItem {
  tenant: string;
  event: FeedEvent;
}

export function tenantFeed(env: Env, tenant: string) {
  return env.TENANT_FEED.getByName(tenant);
}

/** A job's new status, as the feed tells it. */
export function statusItem(job: Pick<JobRow, "id" | "tenant" | "type" | "status" | "priority"> & { attempt: number }, at = new Date()): FeedItem {
  const { id, type, status, priority, attempt } = job;
  return { tenant: job.tenant, event: { type: "job", at: at.toISOString(), job: { id, type, status, priority, attempt } } };
}

/** A running job's latest progress, as the feed tells it. */
export function progressItem(tenant: string, id: string, progress: { percent: number; stage: string | null; message: string | null }): FeedItem {
  return { tenant, event: { type: "progress", at: new Date().toISOString(), job: { id, ...progress } } };
}

/**
 * Sends each tenant its events in one call to its feed object. Best effort, like every publish:
 * D1 holds the state, and a subscriber that misses events is told to refetch (`reset`).
 */
export async function publishToFeeds(env: Env, items: FeedItem[]): Promise<void> {
  if (items.length === 0) return;
  const byTenant = new Map<string, FeedEvent[]>();
  for (const { tenant, event } of items) byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), event]);
  const results = await Promise.allSettled([...byTenant].map(([tenant, events]) => tenantFeed(env, tenant).publish(events)));
  for (const r of results) if (r.status === "rejected") console.error("publishing to a tenant feed failed", r.reason);
}
