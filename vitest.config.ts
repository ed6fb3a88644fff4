import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // Inside workerd, against the real local D1, R2, Queues, Workflows and Durable Objects.
  const workerd = () =>
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_API_KEY: "test-admin-key",
          // The tests run the clock's tick themselves; a live alarm would sweep under their feet.
          CLOCK_ARMS_ON_USE: "false",
          SIGNING_SECRET: "test-signing-secret",
          TEST_MIGRATIONS: migrations,
        },
      },
    });
  // `npm run test:large` (LARGE=1): the large-file tests, in workerd too.
  const large = {
    plugins: [workerd()],
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
            testTimeout: 120_000,
            hookTimeout: 120_000,
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
