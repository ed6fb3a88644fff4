// What `npm run provision` and `npm run deploy` share: the resources wrangler.toml names, the
// secrets the worker needs, and a way to run wrangler that prints each command (and, in a dry
// run, runs only the ones that change nothing).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { unstable_readConfig } from "wrangler";

/** The secrets the worker needs in production (`wrangler secret put`), with what each is for. */
export const SECRETS = [
  { name: "ADMIN_API_KEY", about: "the platform admin's API key (creates tenants' keys)" },
  { name: "SIGNING_SECRET", about: "signs tenants' API keys and event tokens" },
  { name: "SECRETS_KEY", about: "seals tenants' stored secrets at rest" },
];

/** The values in .dev.vars.example: fine locally, refused in production. */
export function exampleSecretValues(root = process.cwd()) {
  const text = readFileSync(join(root, ".dev.vars.example"), "utf8");
  return new Set([...text.matchAll(/^[A-Z_]+=(.+)$/gm)].map((m) => m[1].trim()));
}

/** A database id wrangler.toml ships with: all zeros, or none. */
export const isPlaceholderId = (id) => !id || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(id);

/** Every Cloudflare resource the configuration names, each once. */
export function resourcesOf(configPath = "wrangler.toml") {
  const config = unstable_readConfig({ config: configPath });
  const queues = new Set();
  for (const p of config.queues.producers ?? []) queues.add(p.queue);
  for (const c of config.queues.consumers ?? []) {
    queues.add(c.queue);
    if (c.dead_letter_queue) queues.add(c.dead_letter_queue);
  }
  return {
    worker: config.name,
    databases: config.d1_databases.map((d) => ({ binding: d.binding, name: d.database_name, id: d.database_id })),
    buckets: [...new Set(config.r2_buckets.map((b) => b.bucket_name))],
    queues: [...queues],
  };
}

/**
 * Runs wrangler commands, printing each as `$ wrangler ...`. `change` commands are only printed in
 * a dry run; `read` commands run in both (they change nothing). Both return wrangler's stdout.
 */
export function wranglerRunner({ dryRun, configPath }) {
  const bin = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const run = (args, input) => {
    const full = [...args, "--config", configPath];
    return execFileSync(process.execPath, [bin, ...full], { env, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  };
  const show = (args, note = "") => console.log(`$ wrangler ${args.join(" ")}${note}`);
  return {
    read(args) {
      return run(args);
    },
    change(args, { input, note } = {}) {
      show(args, note);
      if (dryRun) return "";
      return run(args, input);
    },
    /** Whether wrangler can reach an account (logged in, or CLOUDFLARE_API_TOKEN set). */
    authenticated() {
      try {
        return !/not authenticated/i.test(run(["whoami"]));
      } catch {
        return false;
      }
    },
  };
}

/** The names of the secrets set on the worker; none for a worker never deployed. */
export function secretsOnWorker(wrangler) {
  try {
    return new Set(JSON.parse(wrangler.read(["secret", "list", "--format", "json"])).map((s) => s.name));
  } catch {
    return new Set();
  }
}

/** `--flag` and `--name value` arguments. */
export function parseArgs(argv) {
  const flags = new Set(argv.filter((a) => a.startsWith("--") && !a.includes("=")));
  const valued = Object.fromEntries(argv.filter((a) => a.includes("=")).map((a) => a.replace(/^--/, "").split("=", 2)));
  return { dryRun: flags.has("--dry-run"), configPath: valued.config ?? "wrangler.toml" };
}
