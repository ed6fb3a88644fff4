// Runs before `npm run dev`: local secrets from the example when missing, local D1 migrations, and
// the clock armed in the local state.
import { copyFileSync, existsSync, readFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { unstable_startWorker } from "wrangler";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (ADMIN_API_KEY=dev-admin-key-change-me)");
}
// Every D1 binding of wrangler.toml: each shard (src/db/shards.ts) has the whole schema.
const bindings = [...readFileSync("wrangler.toml", "utf8").matchAll(/\[\[d1_databases\]\][^[]*?binding\s*=\s*"([^"]+)"/g)].map((m) => m[1]);
for (const binding of bindings) {
  execFileSync("wrangler", ["d1", "migrations", "apply", binding, "--local"], { stdio: "inherit", env: { ...process.env, CI: "true" } });
}

// The clock (src/durable/clock.ts) ticks on its own alarm, and wrangler dev fires a persisted
// alarm at start, overdue or not: once armed, it needs nothing more. Local state where the Clock
// object was never created has no alarm, so a short-lived worker (scripts/arm-clock.ts) arms it.
const CLOCK_STATE = ".wrangler/state/v3/do/edge-jobs-Clock";
const clockCreated = existsSync(CLOCK_STATE) && readdirSync(CLOCK_STATE).some((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
if (!clockCreated) {
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    entrypoint: "scripts/arm-clock.ts",
    dev: { server: { port: 0 }, inspector: false, watch: false, logLevel: "error" },
  });
  try {
    const res = await worker.fetch("http://localhost/");
    if (!res.ok) throw new Error(`arming the clock answered ${res.status}: ${await res.text()}`);
    console.log(`the clock ticks every minute (first tick ${(await res.json()).armedFor})`);
  } finally {
    await worker.dispose();
  }
}
