// The API reference at /docs (src/api/routes/docs.ts): copies the pinned Swagger UI (swagger-ui-dist, a
// devDependency) into dist/assets/docs/ beside a page and a start script of ours, so /docs needs no CDN
// and no inline script. Files that are already as they should be are left alone: many vitest
// processes share one working tree.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, writeAtomically } from "./build-cache.mjs";

const PACKAGE = join(ROOT, "node_modules", "swagger-ui-dist");
const OUT = join(ROOT, "dist", "assets", "docs");
/** What the page loads from the package. */
const COPIED = ["swagger-ui-bundle.js", "swagger-ui.css"];

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Edge Jobs API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
<script defer src="/docs/swagger-ui-bundle.js"></script>
<script defer src="/docs/start.js"></script>
</head>
<body>
<div id="swagger-ui"></div>
<noscript><p>The API reference needs JavaScript; the document itself is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></noscript>
</body>
</html>
`;

// validatorUrl null: the default sends the document to validator.swagger.io.
const START = `window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", validatorUrl: null, deepLinking: true });
`;

function writeIfChanged(path, contents) {
  if (existsSync(path) && readFileSync(path).equals(Buffer.from(contents))) return;
  writeAtomically(path, contents);
}

export function buildDocs() {
  for (const name of COPIED) writeIfChanged(join(OUT, name), readFileSync(join(PACKAGE, name)));
  writeIfChanged(join(OUT, "index.html"), PAGE);
  writeIfChanged(join(OUT, "start.js"), START);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  buildDocs();
  console.log("docs: dist/assets/docs");
}
