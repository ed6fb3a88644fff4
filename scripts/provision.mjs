// `npm run provision [-- --dry-run] [-- --config=path]`: creates on the Cloudflare account what
// wrangler.toml names and the account lacks (D1 databases, the R2 bucket, every queue), writes new
// database ids into the configuration, and sets the worker's secrets that are not set yet. It never
// changes or deletes what exists. With --dry-run it prints every command that would change
// something and runs none of them (listing what exists still runs, when wrangler is logged in).
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { SECRETS, exampleSecretValues, isPlaceholderId, parseArgs, resourcesOf, secretsOnWorker, wranglerRunner } from "./cloudflare.mjs";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function fail(message) {
  console.error(`provision: ${message}`);
  process.exit(1);
}

/**
 * What the account already has. Queues and buckets are asked for one by one (`info` fails for one
 * that does not exist), which does not depend on how a listing is paged or printed. A worker not
 * deployed yet has no secrets.
 */
function listExisting(wrangler, resources) {
  const exists = (args) => {
    try {
      wrangler.read(args);
      return true;
    } catch {
      return false;
    }
  };
  const databases = new Map(JSON.parse(wrangler.read(["d1", "list", "--json"])).map((d) => [d.name, d.uuid]));
  const buckets = new Set(resources.buckets.filter((b) => exists(["r2", "bucket", "info", b])));
  const queues = new Set(resources.queues.filter((q) => exists(["queues", "info", q])));
  return { databases, buckets, hasQueue: (name) => queues.has(name), secrets: secretsOnWorker(wrangler) };
}

/** Puts `id` as the database_id of the [[d1_databases]] block with `binding`. */
function writeDatabaseId(configPath, binding, id) {
  const text = readFileSync(configPath, "utf8");
  const blocks = text.split(/(?=^\[\[d1_databases\]\])/m);
  const at = blocks.findIndex((b) => b.startsWith("[[d1_databases]]") && new RegExp(`^binding\\s*=\\s*"${binding}"`, "m").test(b));
  if (at < 0) fail(`no [[d1_databases]] block with binding "${binding}" in ${configPath}`);
  blocks[at] = /^database_id\s*=/m.test(blocks[at])
    ? blocks[at].replace(/^database_id\s*=.*$/m, `database_id = "${id}"`)
    : blocks[at].replace(/^(binding\s*=.*)$/m, `$1\ndatabase_id = "${id}"`);
  writeFileSync(configPath, blocks.join(""));
}

function provisionDatabases(wrangler, resources, existing, { dryRun, configPath }) {
  for (const db of resources.databases) {
    let id = existing.databases.get(db.name);
    if (id === undefined) {
      const out = wrangler.change(["d1", "create", db.name]);
      id = dryRun ? "<new id>" : out.match(UUID)?.[0];
      if (!id) fail(`wrangler d1 create ${db.name} printed no database id:\n${out}`);
    }
    if (!isPlaceholderId(db.id) && db.id === id) continue;
    if (!isPlaceholderId(db.id)) {
      console.log(`# ${db.binding}: ${configPath} names database_id ${db.id}, the account's "${db.name}" is ${id}; left as it is`);
      continue;
    }
    console.log(`# ${db.binding}: database_id = "${id}" ${dryRun ? "would be" : "is"} written into ${configPath}`);
    if (!dryRun) writeDatabaseId(configPath, db.binding, id);
  }
}

async function secretValue(name, examples) {
  const given = process.env[name];
  if (given !== undefined) {
    if (examples.has(given)) fail(`${name} holds the example value from .dev.vars.example; set a value of your own`);
    return given;
  }
  if (!process.stdin.isTTY) fail(`${name} is not set on the worker: give it in the environment (${name}=...)`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = (await rl.question(`${name} (empty: generate one): `)).trim();
  rl.close();
  if (answer === "") {
    const generated = randomBytes(32).toString("base64url");
    console.log(`# ${name} generated: ${generated} (shown once; keep it somewhere safe)`);
    return generated;
  }
  if (examples.has(answer)) fail(`${name}: the example value from .dev.vars.example is refused`);
  return answer;
}

async function provisionSecrets(wrangler, existing, dryRun) {
  const examples = exampleSecretValues();
  for (const { name, about } of SECRETS) {
    if (existing.secrets.has(name)) continue;
    const source = process.env[name] !== undefined ? `from $${name}` : "asked for";
    if (dryRun) {
      wrangler.change(["secret", "put", name], { note: `   # ${about}; value ${source}` });
      continue;
    }
    wrangler.change(["secret", "put", name], { input: `${await secretValue(name, examples)}\n`, note: `   # ${about}` });
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const wrangler = wranglerRunner(options);
  const resources = resourcesOf(options.configPath);
  const online = wrangler.authenticated();
  if (!online && !options.dryRun) fail("wrangler is not logged in: run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID");
  if (!online) console.log("# wrangler is not logged in, so nothing could be listed: every resource is shown as missing");
  const existing = online
    ? listExisting(wrangler, resources)
    : { databases: new Map(), buckets: new Set(), hasQueue: () => false, secrets: new Set() };

  provisionDatabases(wrangler, resources, existing, options);
  for (const bucket of resources.buckets) if (!existing.buckets.has(bucket)) wrangler.change(["r2", "bucket", "create", bucket]);
  for (const queue of resources.queues) if (!existing.hasQueue(queue)) wrangler.change(["queues", "create", queue]);
  await provisionSecrets(wrangler, existing, options.dryRun);
  console.log(options.dryRun ? "# dry run: nothing was changed" : "# provisioned; next: npm run deploy");
}

await main();
