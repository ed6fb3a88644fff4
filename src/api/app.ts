import { swaggerUI } from "@hono/swagger-ui";
import { database } from "../db/client";
import { newRouter } from "./context";
import { ApiError, renderError } from "./errors";
import { authenticate } from "./middleware/auth";
import { deadLettersApi } from "./routes/dead-letters";
import { eventsApi } from "./routes/events";
import { healthApi } from "./routes/health";
import { jobsApi } from "./routes/jobs";
import { keysApi } from "./routes/keys";
import { queuesApi } from "./routes/queues";
import { statsApi } from "./routes/stats";

const OPENAPI_PATH = "/api/v1/openapi.json";

/** Builds the HTTP API: one sub-app per resource, errors rendered in one place. */
export function createApp() {
  const app = newRouter();
  app.use(async function init(c, next) {
    c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
    c.set("db", database(c.env));
    await next();
    c.header("x-request-id", c.get("requestId"));
  });
  app.onError(renderError);
  app.notFound((c) => renderError(new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`), c));

  app.route("/api/v1/health", healthApi);
  // The events route authenticates itself: browsers watch with a signed token instead of a key.
  app.route("/api/v1/jobs", eventsApi);

  const authenticated = newRouter();
  authenticated.use(authenticate);
  authenticated.route("/jobs", jobsApi);
  authenticated.route("/dead-letters", deadLettersApi);
  authenticated.route("/queues", queuesApi);
  authenticated.route("/stats", statsApi);
  authenticated.route("/keys", keysApi);
  app.route("/api/v1", authenticated);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: "Edge Jobs API",
      version: "1.0.0",
      description: "Submit background jobs, watch their progress live, and operate the queues.",
    },
    security: [{ bearer: [] }],
  });
  app.get("/docs", swaggerUI({ url: OPENAPI_PATH }));
  app.get("/", (c) => c.redirect("/docs"));
  return app;
}
