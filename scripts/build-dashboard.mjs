// `npm run build:dashboard [-- --force] [-- --watch]`: bundles the dashboard (src/dashboard/, Preact +
// htm, uPlot) with esbuild into dist/assets/, the directory wrangler.toml serves as static assets:
// dashboard/index.html (the shell), dashboard/assets/<name>-<hash>.js|css (hashed, so cacheable for
// ever) and _headers. Every entry point runs it first (dev, test, vitest.config.ts, bundle:check,
// deploy): wrangler refuses to start without the directory. A build whose inputs have not changed
// is skipped, so the many vitest processes sharing a working tree do not rewrite files under each other.
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { ROOT, fingerprint, writeAtomically } from "./build-cache.mjs";
import { buildDocs } from "./build-docs.mjs";
const SOURCE = join(ROOT, "src", "dashboard");
const OUT = join(ROOT, "dist", "assets");
const DASHBOARD_OUT = join(OUT, "dashboard");
const HASHED_OUT = join(DASHBOARD_OUT, "assets");
/** Beside the served directory, not in it: the fingerprint is no asset. */
const FINGERPRINT = join(ROOT, "dist", "dashboard.fingerprint");
/** The packages bundled in: a new version changes the output. */
const BUNDLED = ["preact", "htm", "uplot", "esbuild"];

/**
 * The API reference's policy (scripts/build-docs.mjs; src/api/routes/docs.ts sends it with /docs): Swagger UI
 * sets style attributes, hence 'unsafe-inline' for styles only; scripts are its bundle and ours, from here.
 */
const DOCS_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * Headers for what the asset server answers without the worker. The shell the worker answers
 * (src/api/routes/dashboard.ts) carries its own CSP naming ws(s) of the host; a static file cannot
 * know the host, and CSP Level 3 'self' covers ws/wss of the same host.
 */
const HEADERS = `/dashboard/assets/*
  Cache-Control: public, max-age=31536000, immutable
  X-Content-Type-Options: nosniff
/dashboard/index.html
  Cache-Control: no-store
  Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'
  X-Content-Type-Options: nosniff
  Referrer-Policy: same-origin
/docs/*
  Cache-Control: no-cache
  Content-Security-Policy: ${DOCS_POLICY}
  X-Content-Type-Options: nosniff
`;

function shell(script, style) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Edge Jobs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/${style}">
<script type="module" src="/dashboard/assets/${script}"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the dashboard…</p></div>
<noscript><p>The Edge Jobs dashboard needs JavaScript.</p></noscript>
</body>
</html>
`;
}

const OPTIONS = {
  entryPoints: { app: join(SOURCE, "main.ts"), styles: join(SOURCE, "styles", "index.css") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022", "chrome110", "firefox115", "safari16"],
  entryNames: "[name]-[hash]",
  outdir: HASHED_OUT,
  sourcemap: false,
  metafile: true,
  write: false,
  legalComments: "none",
  logLevel: "warning",
};

/** Writes the outputs of one build, then the shell naming them, then removes the files no shell names. */
function writeOutputs(result) {
  const names = result.outputFiles.map((file) => relative(HASHED_OUT, file.path));
  for (const file of result.outputFiles) writeAtomically(file.path, file.contents);
  const script = names.find((n) => n.startsWith("app-") && n.endsWith(".js"));
  const style = names.find((n) => n.startsWith("styles-") && n.endsWith(".css"));
  if (!script || !style) throw new Error(`build-dashboard: unexpected outputs ${names.join(", ")}`);
  writeAtomically(join(DASHBOARD_OUT, "index.html"), shell(script, style));
  writeAtomically(join(OUT, "_headers"), HEADERS);
  for (const stale of readdirSync(HASHED_OUT).filter((n) => !names.includes(n) && !n.endsWith(".tmp"))) {
    rmSync(join(HASHED_OUT, stale), { force: true });
  }
  return { script, style };
}

/** Builds unless the inputs are those of the last build (`force` builds anyway); `quiet` says nothing when it need not build. */
export async function buildDashboard({ force = false, quiet = false } = {}) {
  buildDocs();
  const current = fingerprint({ dirs: [SOURCE], files: [fileURLToPath(import.meta.url)], packages: BUNDLED });
  const indexExists = existsSync(join(DASHBOARD_OUT, "index.html"));
  if (!force && indexExists && existsSync(FINGERPRINT) && readFileSync(FINGERPRINT, "utf8") === current) {
    if (!quiet) console.log("dashboard: up to date (dist/assets/dashboard)");
    return;
  }
  const { script, style } = writeOutputs(await esbuild.build(OPTIONS));
  writeAtomically(FINGERPRINT, current);
  console.log(`dashboard: built dist/assets/dashboard (${script}, ${style})`);
}

/** Rebuilds on every change under src/dashboard (wrangler dev serves the new files as they land). */
async function watch() {
  buildDocs();
  const context = await esbuild.context({
    ...OPTIONS,
    plugins: [{
      name: "write-dashboard",
      setup(build) {
        build.onEnd((result) => {
          if (result.errors.length > 0) return;
          const { script } = writeOutputs(result);
          // What watch mode wrote is not what the fingerprint describes: the next plain build rebuilds.
          rmSync(FINGERPRINT, { force: true });
          console.log(`dashboard: rebuilt (${script})`);
        });
      },
    }],
  });
  await context.watch();
  console.log("dashboard: watching src/dashboard");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = new Set(process.argv.slice(2));
  if (args.has("--watch")) await watch();
  else await buildDashboard({ force: args.has("--force") });
}
