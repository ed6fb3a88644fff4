import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { Invocation } from "../../usage/invocation";
import { PLATFORM_USAGE } from "../../usage/ledger";
import type { AppEnv } from "../context";

/**
 * Meters every request (src/usage/): its bindings are counted from here on, and once it has
 * answered, what it used goes to the usage ledger as the tenant's whose database it worked on (the
 * caller's, or the one a watch token or the platform's admin key names; the platform's own when it
 * worked on none), after the response (`waitUntil`), so the request waits for none of it. A
 * request that worked on no database and used no binding is not recorded.
 */
export const meterRequests = createMiddleware<AppEnv>(async function meterRequests(c, next) {
  const invocation = new Invocation(c.env, "api_request");
  c.env = invocation.env;
  await next();
  const tenant = c.get("tenant") as string | undefined;
  // A request refused before it touched anything (no key, a bad one, a malformed body) is not
  // written down: otherwise a flood of them would cost a D1 write each, against nobody's account.
  if (tenant === undefined && invocation.idle()) return;
  invocation.add(tenant ?? PLATFORM_USAGE);
  await afterResponse(c, invocation.record({ method: c.req.method, path: c.req.path, status: c.res.status }));
});

/** `work` kept alive past the response, or awaited where there is no execution context (`app.request` in tests). */
async function afterResponse(c: Context<AppEnv>, work: Promise<void>): Promise<void> {
  let ctx: Context<AppEnv>["executionCtx"] | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    // Hono's getter throws when the runtime gave none.
  }
  if (ctx) ctx.waitUntil(work);
  else await work;
}
