import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      projects: [
        {
          // Inside workerd, against the real local D1, R2, Queues, Workflows and Durable Objects.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  ADMIN_API_KEY: "test-admin-key",
                  SIGNING_SECRET: "test-signing-secret",
                  TEST_MIGRATIONS: migrations,
                },
              },
            }),
          ],
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
      ],
    },
  };
});
