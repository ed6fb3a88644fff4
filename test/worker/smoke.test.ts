import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("answers health without auth", async () => {
  const res = await exports.default.fetch("https://jobs.test/api/v1/health");
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: "ok", d1: { ok: true } });
});
