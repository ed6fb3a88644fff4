import { database } from "../db/client";
import { bodyLimitFor } from "./body-limits";
import { newRouter } from "./context";
import { ApiError, renderError } from "./errors";
import { limitBodies } from "./middleware/body-limit";
import { meterRequests } from "./middleware/metering";
import { corsForApps } from "./middleware/cors";
import { completeDocument } from "./openapi";
import { documentJobTypes, registerJobTypes } from "./job-types";
import { CALLBACKS_PATH } from "../handlers/callback-token";
import { batchItemsApi } from "./routes/batch-items";
import { bulkApi } from "./routes/bulk";
import { dashboardApi } from "./routes/dashboard";
import { datasetsApi } from "./routes/datasets";
import { deadLettersApi } from "./routes/dead-letters";
import { docsApi } from "./routes/docs";
import { documentsApi } from "./routes/documents";
import { eventsApi } from "./routes/events";
import { callbacksApi } from "./routes/callbacks";
import { feedApi } from "./routes/feed";
import { handlersApi } from "./routes/handlers";
import { healthApi } from "./routes/health";
import { jobsApi } from "./routes/jobs";
import { keysApi } from "./routes/keys";
import { maintenanceApi } from "./routes/maintenance";
import { marketplaceApi } from "./routes/marketplace";
import { marketplaceBrowseApi } from "./routes/marketplace-browse";
import { marketplaceReviewsApi } from "./routes/marketplace-reviews";
import { metricsApi } from "./routes/metrics";
import { queuesApi } from "./routes/queues";
import { rateLimitsApi } from "./routes/rate-limits";
import { refreshApi } from "./routes/refresh";
import { reportsApi } from "./routes/reports";
import { schedulesApi } from "./routes/schedules";
import { searchApi } from "./routes/search";
import { searchAnalyticsApi } from "./routes/search-analytics";
import { secretsApi } from "./routes/secrets";
import { sessionApi } from "./routes/session";
import { settingsApi } from "./routes/settings";
import { statsApi } from "./routes/stats";
import { templatesApi } from "./routes/templates";
import { tenantsApi } from "./routes/tenants";
import { uploadsApi } from "./routes/uploads";
import { webhooksApi } from "./routes/webhooks";
import { usageApi } from "./routes/usage";

const OPENAPI_PATH = "/api/v1/openapi.json";

const DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "Edge Jobs API",
    version: "1.0.0",
    description: "Submit background jobs, watch their progress live, and operate the queues.",
    // package.json is private with no license: all rights reserved, until the owners choose one.
    license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
  },
  // Relative: the document describes whichever host serves it.
  servers: [{ url: "/", description: "This deployment" }],
  security: [{ bearer: [] }],
};

/** Builds the HTTP API: one sub-app per resource, errors rendered in one place. */
export function createApp() {
  const app = newRouter();
  // First: everything below runs on the metered bindings, `init`'s database included.
  app.use(meterRequests);
  app.use(async function init(c, next) {
    c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
    c.set("db", database(c.env));
    await next();
    c.header("x-request-id", c.get("requestId"));
  });
  app.onError(renderError);
  app.notFound((c) => renderError(new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`), c));

  // First: a preflight is answered before anything looks at the request.
  app.use("/api/v1/*", corsForApps);
  // Before any route authenticates or parses: a body past its route's limit costs no D1 read.
  app.use("/api/v1/*", limitBodies({ limitFor: bodyLimitFor }));
  mountResources(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  registerJobTypes(app.openAPIRegistry);
  app.get(OPENAPI_PATH, (c) => c.json(completeDocument(documentJobTypes(app.getOpenAPI31Document(DOCUMENT)))));
  app.route("/docs", docsApi);
  app.route("/dashboard", dashboardApi);
  app.get("/", (c) => c.redirect("/dashboard"));
  return app;
}

/** One sub-app per resource, each authenticating in its own middleware. */
function mountResources(app: ReturnType<typeof newRouter>) {
  app.route("/api/v1/health", healthApi);
  app.route("/api/v1/session", sessionApi);
  // Each route authenticates in its own middleware (requireScope); the events route also takes
  // signed watch tokens, because browsers cannot set headers on a websocket.
  app.route("/api/v1/jobs/bulk", bulkApi);
  app.route("/api/v1/jobs", eventsApi);
  app.route("/api/v1/events", feedApi);
  app.route("/api/v1/jobs", jobsApi);
  app.route("/api/v1/jobs", batchItemsApi);
  app.route("/api/v1/dead-letters", deadLettersApi);
  app.route("/api/v1/queues", queuesApi);
  app.route("/api/v1/stats", statsApi);
  app.route("/api/v1/usage", usageApi);
  app.route("/api/v1/keys", keysApi);
  app.route("/api/v1/schedules", schedulesApi);
  app.route("/api/v1/templates", templatesApi);
  app.route("/api/v1/reports", reportsApi);
  // The one place tenants share: read and written in the platform database (src/marketplace/).
  app.route("/api/v1/marketplace", marketplaceApi);
  app.route("/api/v1/marketplace", marketplaceReviewsApi);
  app.route("/api/v1/marketplace", marketplaceBrowseApi);
  app.route("/api/v1/uploads", uploadsApi);
  app.route("/api/v1/datasets", datasetsApi);
  app.route("/api/v1/settings", settingsApi);
  app.route("/api/v1/maintenance", maintenanceApi);
  app.route("/api/v1/documents", documentsApi);
  app.route("/api/v1/rate-limits", rateLimitsApi);
  app.route("/api/v1/refresh", refreshApi);
  app.route("/api/v1/secrets", secretsApi);
  app.route("/api/v1/handlers", handlersApi);
  app.route(CALLBACKS_PATH, callbacksApi);
  app.route("/api/v1/webhooks", webhooksApi);
  app.route("/api/v1/tenants", tenantsApi);
  app.route("/api/v1/search", searchAnalyticsApi);
  app.route("/api/v1", searchApi);
  app.route("/metrics", metricsApi);
}
