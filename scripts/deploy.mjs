// `npm run deploy [-- --dry-run] [-- --config=path]`: checks the configuration is ready for a real
// account, applies the remote D1 migrations to every shard in order, then runs `wrangler deploy`.
// Migrations come first: they only add (docs/deploy.md, "Upgrades"), so the running version keeps
// working on the new schema until the new version takes over.
import { buildDashboard } from "./build-dashboard.mjs";
import { SECRETS, exampleSecretValues, isPlaceholderId, parseArgs, resourcesOf, secretsOnWorker, wranglerRunner } from "./cloudflare.mjs";

/** What stops a deploy, each with what to do about it; empty when ready. */
export function deployProblems(resources, { secretsSet, env = process.env, examples = exampleSecretValues() }) {
  const problems = [];
  for (const db of resources.databases) {
    if (isPlaceholderId(db.id)) {
      problems.push(`${db.binding} (database "${db.name}") has the placeholder database_id: run \`npm run provision\`, or put the id from \`wrangler d1 list\` in wrangler.toml`);
    }
  }
  for (const { name } of SECRETS) {
    if (env[name] !== undefined && examples.has(env[name])) {
      problems.push(`${name} in the environment is the example value from .dev.vars.example: set a value of your own`);
    }
    if (secretsSet && !secretsSet.has(name)) problems.push(`the secret ${name} is not set on the worker: run \`npm run provision\` (or \`wrangler secret put ${name}\`)`);
  }
  return problems;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const wrangler = wranglerRunner(options);
  const resources = resourcesOf(options.configPath);
  const online = wrangler.authenticated();
  if (!online && !options.dryRun) {
    console.error("deploy: wrangler is not logged in: run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID");
    process.exit(1);
  }
  const problems = deployProblems(resources, { secretsSet: online ? secretsOnWorker(wrangler) : undefined });
  if (problems.length > 0) {
    console.error(`deploy: refused, ${options.configPath} is not ready for a real account:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    process.exit(1);
  }
  if (!online) console.log("# wrangler is not logged in: the worker's secrets could not be checked");
  // Before anything changes remotely: the dashboard's assets are part of what `wrangler deploy` uploads.
  await buildDashboard();
  for (const db of resources.databases) {
    wrangler.change(["d1", "migrations", "apply", db.binding, "--remote"], { note: `   # ${db.name}` });
  }
  wrangler.change(["deploy"]);
  if (options.dryRun) console.log("# dry run: nothing was changed");
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
