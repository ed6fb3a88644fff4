// `npm run build:cli`: bundles the CLI (src/cli/, on the client in src/client/) with commander and
// cli-progress into one file, dist/cli/edge-jobs.mjs, the package's `edge-jobs` bin.
// Run by `npm install` (prepare), `npm test` and vitest.config.ts; skipped when nothing it reads changed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { ROOT, fingerprint, upToDate, writeAtomically } from "./build-cache.mjs";

const SOURCES = [join(ROOT, "src", "cli"), join(ROOT, "src", "client")];
const OUT = join(ROOT, "dist", "cli", "edge-jobs.mjs");
const FINGERPRINT = join(ROOT, "dist", "cli.fingerprint");
const BUNDLED = ["esbuild", "commander", "cli-progress"];

export async function buildCli({ force = false, quiet = false } = {}) {
  const current = fingerprint({ dirs: SOURCES, files: [fileURLToPath(import.meta.url), join(ROOT, "package.json")], packages: BUNDLED });
  if (!force && upToDate(OUT, FINGERPRINT, current)) {
    if (!quiet) console.log("cli: up to date (dist/cli/edge-jobs.mjs)");
    return;
  }
  const result = await esbuild.build({
    entryPoints: [join(ROOT, "src", "cli", "main.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    target: ["node22"],
    outfile: OUT,
    write: false,
    // commander and cli-progress are CommonJS: their require() of Node built-ins needs a real require.
    banner: { js: '#!/usr/bin/env node\nimport { createRequire as __edgeJobsRequire } from "node:module";\nconst require = __edgeJobsRequire(import.meta.url);' },
    define: { EDGE_JOBS_VERSION: JSON.stringify(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version) },
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
  });
  for (const file of result.outputFiles) writeAtomically(file.path, file.contents, 0o755);
  writeAtomically(FINGERPRINT, current, 0o644);
  console.log(`cli: built dist/cli/edge-jobs.mjs (${result.outputFiles[0].contents.length} bytes)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildCli({ force: process.argv.includes("--force") });
}
