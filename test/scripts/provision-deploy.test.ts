// scripts/provision.mjs and scripts/deploy.mjs, run as a user runs them (node, real wrangler, the
// real wrangler.toml), logged out of Cloudflare so that nothing can reach an account.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

const root = resolve(__dirname, "../..");
const home = mkdtempSync(join(tmpdir(), "edge-jobs-logged-out-"));

function run(script: string, args: string[], extraEnv: Record<string, string> = {}) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: home, CI: "true", ...extraEnv };
  const out = spawnSync(process.execPath, [join(root, "scripts", script), ...args], { cwd: root, env, encoding: "utf8", timeout: 60_000 });
  const commands = out.stdout.split("\n").filter((l) => l.startsWith("$ wrangler ")).map((l) => l.replace(/^\$ wrangler /, "").replace(/\s+#.*$/, ""));
  return { status: out.status, stdout: out.stdout, stderr: out.stderr, commands };
}

/** A copy of wrangler.toml with the given edits, beside the real one (its paths stay valid). */
function configWith(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "edge-jobs-config-"));
  const path = join(dir, "wrangler.toml");
  writeFileSync(path, edit(readFileSync(join(root, "wrangler.toml"), "utf8")).replace(/^main = "src\//m, `main = "${root}/src/`));
  return path;
}

const config = unstable_readConfig({ config: join(root, "wrangler.toml") });
const queuesNamed = [...new Set([
  ...config.queues.producers!.map((p) => p.queue),
  ...config.queues.consumers!.flatMap((c) => [c.queue, ...(c.dead_letter_queue ? [c.dead_letter_queue] : [])]),
])];

describe("npm run provision -- --dry-run", () => {
  it("would create every database, bucket and queue wrangler.toml names, each once, and set the secrets, changing nothing", () => {
    const before = readFileSync(join(root, "wrangler.toml"), "utf8");
    const { status, commands, stdout } = run("provision.mjs", ["--dry-run"]);
    expect(status, stdout).toBe(0);
    const expected = [
      ...config.d1_databases.map((d) => `d1 create ${d.database_name}`),
      ...[...new Set(config.r2_buckets.map((b) => b.bucket_name))].map((b) => `r2 bucket create ${b}`),
      ...queuesNamed.map((q) => `queues create ${q}`),
      ...["ADMIN_API_KEY", "SIGNING_SECRET", "SECRETS_KEY"].map((s) => `secret put ${s}`),
    ];
    expect(commands.sort()).toEqual(expected.sort());
    expect(queuesNamed.length).toBeGreaterThanOrEqual(8);
    expect(stdout).toContain("nothing was changed");
    expect(readFileSync(join(root, "wrangler.toml"), "utf8")).toBe(before);
  });

  it("creates each shard's database when the configuration declares several", () => {
    const path = configWith((t) => t.replace(/^(\[\[d1_databases\]\][^[]*)/m, `$1\n[[d1_databases]]\nbinding = "DB_1"\ndatabase_name = "edge-jobs-1"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\nmigrations_dir = "migrations"\n\n`));
    const { status, commands } = run("provision.mjs", ["--dry-run", `--config=${path}`]);
    expect(status).toBe(0);
    expect(commands.filter((c) => c.startsWith("d1 create"))).toEqual(["d1 create edge-jobs", "d1 create edge-jobs-1"]);
  });

  it("refuses to run for real while logged out, saying how to log in", () => {
    const { status, stderr, commands } = run("provision.mjs", []);
    expect(status).toBe(1);
    expect(stderr).toMatch(/wrangler login|CLOUDFLARE_API_TOKEN/);
    expect(commands).toEqual([]);
  });
});

describe("npm run deploy", () => {
  it("refuses the placeholder database id, saying what to run", () => {
    const { status, stderr, commands } = run("deploy.mjs", ["--dry-run"]);
    expect(status).toBe(1);
    expect(stderr).toContain("placeholder database_id");
    expect(stderr).toContain("npm run provision");
    expect(commands).toEqual([]);
  });

  it("refuses the example secrets", () => {
    const path = configWith((t) => t.replace(/database_id = "0{8}-0{4}-0{4}-0{4}-0{12}"/, 'database_id = "6f1c2c8e-1b2a-4c3d-9e8f-0123456789ab"'));
    const { status, stderr } = run("deploy.mjs", ["--dry-run", `--config=${path}`], { SIGNING_SECRET: "dev-signing-secret-change-me" });
    expect(status).toBe(1);
    expect(stderr).toContain("SIGNING_SECRET in the environment is the example value");
  });

  it("migrates every shard in order, then deploys", () => {
    const path = configWith((t) =>
      t.replace(/database_id = "0{8}-0{4}-0{4}-0{4}-0{12}"/, 'database_id = "6f1c2c8e-1b2a-4c3d-9e8f-0123456789ab"')
        .replace(/^(\[\[d1_databases\]\][^[]*)/m, `$1\n[[d1_databases]]\nbinding = "DB_1"\ndatabase_name = "edge-jobs-1"\ndatabase_id = "7a2d3e4f-5a6b-4c7d-8e9f-0123456789ab"\nmigrations_dir = "migrations"\n\n`),
    );
    const { status, commands, stdout } = run("deploy.mjs", ["--dry-run", `--config=${path}`]);
    expect(status, stdout).toBe(0);
    expect(commands).toEqual(["d1 migrations apply DB --remote", "d1 migrations apply DB_1 --remote", "deploy"]);
  });
});

describe("wrangler.toml for production", () => {
  it("runs in production mode unless told otherwise (npm run dev and the tests say development)", () => {
    expect(config.vars.ENVIRONMENT).toBe("production");
    expect(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.dev).toContain("ENVIRONMENT:development");
  });
});
