// `npm run build:client`: bundles the API client (src/client/) with esbuild into dist/client/index.js,
// what `edge-jobs/client` resolves to (package.json `exports`; its types are the source itself).
// The client imports the worker's schemas as types only, so the bundle holds nothing of the worker.
// Run by `npm test` and vitest.config.ts, so a fresh clone has it; skipped when src/client is unchanged.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { ROOT, fingerprint, upToDate, writeAtomically } from "./build-cache.mjs";

const SOURCE = join(ROOT, "src", "client");
const OUT = join(ROOT, "dist", "client", "index.js");
const FINGERPRINT = join(ROOT, "dist", "client.fingerprint");

export async function buildClient({ force = false, quiet = false } = {}) {
  const current = fingerprint({ dirs: [SOURCE], files: [fileURLToPath(import.meta.url)], packages: ["esbuild"] });
  if (!force && upToDate(OUT, FINGERPRINT, current)) {
    if (!quiet) console.log("client: up to date (dist/client/index.js)");
    return;
  }
  const result = await esbuild.build({
    entryPoints: [join(SOURCE, "index.ts")],
    bundle: true,
    format: "esm",
    // Node 18+, current browsers and workerd alike: no Node built-ins, no DOM-only globals.
    platform: "neutral",
    target: ["es2022"],
    outfile: OUT,
    write: false,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
  });
  for (const file of result.outputFiles) writeAtomically(file.path, file.contents);
  writeAtomically(FINGERPRINT, current);
  console.log(`client: built dist/client/index.js (${result.outputFiles[0].contents.length} bytes)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildClient({ force: process.argv.includes("--force") });
}
