import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildCli } from "./scripts/build-cli.mjs";
import { buildClient } from "./scripts/build-client.mjs";
import { buildDashboard } from "./scripts/build-dashboard.mjs";

export default defineConfig(async () => {
  // wrangler.toml serves dist/assets (the dashboard): it must exist before any worker starts, on a fresh clone too.
  await buildDashboard({ quiet: true });
  // `edge-jobs/client` resolves to dist/client/index.js (package.json exports), imported by test/client.
  await buildClient({ quiet: true });
  // test/cli runs the `edge-jobs` bin as built: dist/cli/edge-jobs.mjs.
  await buildCli({ quiet: true });
  const migrations = await readD1Migrations("./migrations");
  // Inside workerd, against the real local D1, R2, Queues, Workflows and Durable Objects.
  const workerd = (bindings: Record<string, string> = {}) =>
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // Two D1 shards (src/db/shards.ts): every test runs with tenants spread over both databases.
        d1Databases: { DB: "edge-jobs-test-shard-0", DB_1: "edge-jobs-test-shard-1" },
        bindings: {
          ENVIRONMENT: "development",
          D1_SHARDS: "DB,DB_1",
          ADMIN_API_KEY: "test-admin-key",
          // The tests run the clock's tick themselves; a live alarm would sweep under their feet.
          CLOCK_ARMS_ON_USE: "false",
          // Outbound requests (src/outbound/): port 1 of loopback (nothing listens) is let through for the
          // network-error test; no DNS check, as workerd tests have no resolver (the e2e tests run one);
          // jobs.test is the host the tests call the API at.
          OUTBOUND_ALLOW_HOSTS: "127.0.0.1:1",
          OUTBOUND_DENY_HOSTS: "*.denied.example",
          OUTBOUND_DNS_RESOLVER: "",
          PLATFORM_HOSTS: "jobs.test",
          // A browser app's origin allowed to call the API (test/worker/cors.test.ts).
          CORS_ALLOWED_ORIGINS: "https://app.example",
          SIGNING_SECRET: "test-signing-secret",
          SECRETS_KEY: "test-secrets-key",
          TEST_MIGRATIONS: migrations,
          // `FUZZ_SEED=n npm test` replays the API fuzz test (test/worker/fuzz.test.ts) with another seed.
          FUZZ_SEED: process.env.FUZZ_SEED ?? "",
          ...bindings,
        },
      },
    });
  // `npm run test:large` (LARGE=1): the large-file tests, in workerd too.
  const large = {
    // The 200 MB import holds about 1.05 million rows, more than a tenant's default quota of dataset rows.
    plugins: [workerd({ QUOTA_DATASET_ROWS: "2000000" })],
    test: {
      name: "large",
      include: ["test/large/**/*.test.ts"],
      onConsoleLog: (log: string) => !log.startsWith('{"event":'),
      setupFiles: ["./test/worker/setup.ts"],
      testTimeout: 900_000,
    },
  };
  return {
    test: {
      // Vitest's default on two cores is one file at a time; most files here wait on a dev server,
      // a queue or a clock far more than they compute, so three at a time overlap the waiting.
      maxWorkers: 3,
      projects: [
        {
          plugins: [workerd()],
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            // The worker logs one usage line per consumer batch (read by bench/); tests need not.
            onConsoleLog: (log: string) => !log.startsWith('{"event":'),
            setupFiles: ["./test/worker/setup.ts"],
            testTimeout: 60_000,
          },
        },
        {
          // Against a real `wrangler dev` server, with real HTTP, websocket and SSE clients.
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            setupFiles: ["./test/e2e/conformance-setup.ts"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          // The API client (src/client/, as built: `edge-jobs/client`) against a real `wrangler dev`.
          test: {
            name: "client",
            include: ["test/client/**/*.test.ts"],
            environment: "node",
            setupFiles: ["./test/e2e/conformance-setup.ts"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          // The `edge-jobs` CLI (dist/cli/edge-jobs.mjs, as built) run as a user would, against a real `wrangler dev`.
          test: {
            name: "cli",
            include: ["test/cli/**/*.test.ts"],
            environment: "node",
            setupFiles: ["./test/e2e/conformance-setup.ts"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          // The dashboard in Debian's Chromium (playwright-core) against a real `wrangler dev`.
          test: {
            name: "browser",
            include: ["test/browser/**/*.test.ts"],
            environment: "node",
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
        {
          // The provisioning and deploy scripts, run with real wrangler against the real configuration.
          test: {
            name: "scripts",
            include: ["test/scripts/**/*.test.ts"],
            environment: "node",
            testTimeout: 60_000,
          },
        },
        {
          // Checks that read the source itself (layering, file sizes): plain node, no bindings.
          test: {
            name: "static",
            include: ["test/static/**/*.test.ts"],
            environment: "node",
          },
        },
        ...(process.env.LARGE === "1" ? [large] : []),
      ],
    },
  };
});
