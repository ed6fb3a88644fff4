// `npm run bundle:check`: builds the worker as `wrangler deploy` would (--dry-run, nothing is
// uploaded) and fails when its gzipped size passes the budget. Workers allow 3 MB gzipped on the
// free plan and 10 MB on paid; the budget keeps half the free plan's limit spare, and a larger
// script also costs start-up time (docs/deploy.md, "Bundle").
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export const GZIP_BUDGET_BYTES = 1536 * 1024;

const outdir = mkdtempSync(join(tmpdir(), "edge-jobs-bundle-"));
try {
  const wrangler = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");
  execFileSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const modules = readdirSync(outdir).filter((f) => f.endsWith(".js") || f.endsWith(".mjs"));
  const raw = modules.reduce((n, f) => n + readFileSync(join(outdir, f)).length, 0);
  const gzipped = modules.reduce((n, f) => n + gzipSync(readFileSync(join(outdir, f))).length, 0);
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`worker bundle: ${kib(raw)}, gzipped ${kib(gzipped)} (budget ${kib(GZIP_BUDGET_BYTES)} gzipped; ${modules.length} module(s))`);
  if (gzipped > GZIP_BUDGET_BYTES) {
    console.error(`the worker's gzipped bundle (${kib(gzipped)}) is past its budget of ${kib(GZIP_BUDGET_BYTES)}: load the new weight lazily, or raise the budget in scripts/bundle-size.mjs and docs/deploy.md with the reason`);
    process.exit(1);
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
