import { describe, expect, it } from "vitest";
import { later } from "./api-helpers";
import { api, json, newTenant, submit } from "./helpers";

type Lanes = { scope: "tenant" | "platform"; items: { lane: string; depth: number; scheduled: number; inFlight: number }[] };

const lanes = async (key?: string) => json<Lanes>(await api("/queues", key ? { key } : {}), 200);
const scheduledIn = (view: Lanes, lane: string) => view.items.find((l) => l.lane === lane)!.scheduled;

describe("GET /queues shows each tenant its own", () => {
  it("a tenant's admin key sees only its tenant's counts; the platform's admin key sees every tenant's", async () => {
    const a = await newTenant(["admin"]);
    const b = await newTenant(["jobs:read", "jobs:write"]);
    for (let i = 0; i < 2; i++) await submit(a.key, later({ priority: "low" }));
    for (let i = 0; i < 3; i++) await submit(b.key, later({ priority: "low" }));

    const ofA = await lanes(a.key);
    expect(ofA.scope).toBe("tenant");
    expect(scheduledIn(ofA, "low")).toBe(2);
    const ofB = await lanes(b.key);
    expect(ofB).toMatchObject({ scope: "tenant" });
    expect(scheduledIn(ofB, "low")).toBe(3);

    const platform = await lanes();
    expect(platform.scope).toBe("platform");
    // Storage is this file's own: the two tenants' jobs are all the platform has.
    expect(scheduledIn(platform, "low")).toBe(5);
  });
});
