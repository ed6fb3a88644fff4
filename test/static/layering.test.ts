import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import { type SourceFile, sourceFiles } from "./source-files";

/** `from "…"`, `import "…"` and `import("…")`, across lines. */
const SPECIFIER = /\bfrom\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']/g;

/** The repository paths a file imports from (relative specifiers only; packages are not ours). */
function importsOf(file: SourceFile): string[] {
  return [...file.text.matchAll(SPECIFIER)]
    .map((m) => (m[1] ?? m[2])!)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => posix.join(posix.dirname(file.path), specifier));
}

const inApi = (path: string) => path === "src/api" || path.startsWith("src/api/");
/** The entry point builds the app, so it alone may reach into the HTTP layer from outside. */
const MAY_IMPORT_API = new Set(["src/index.ts"]);

function apiImportsOutsideApi(files: SourceFile[]): string[] {
  return files
    .filter((file) => !inApi(file.path) && !MAY_IMPORT_API.has(file.path))
    .flatMap((file) => importsOf(file).filter(inApi).map((target) => `${file.path} imports ${target}`));
}

/** The dashboard (src/dashboard/) is browser code: bundled by esbuild, never part of the worker. */
const inDashboard = (path: string) => path === "src/dashboard" || path.startsWith("src/dashboard/");

describe("layering: engine and domain modules do not depend on HTTP", () => {
  const files = sourceFiles();

  it("no file outside src/api (but the entry point) imports from src/api", () => {
    expect(apiImportsOutsideApi(files)).toEqual([]);
  });

  it("sees imports at all: the entry point's import of the app resolves into src/api", () => {
    const entry = files.find((f) => f.path === "src/index.ts")!;
    expect(importsOf(entry)).toContain("src/api/app");
    const moved = { ...entry, path: "src/engine/entry.ts", text: entry.text.replaceAll("./api/", "../api/") };
    expect(apiImportsOutsideApi([moved])).toEqual(["src/engine/entry.ts imports src/api/app"]);
  });
});

/** Every import of a file: its specifier and whether it is `import type` (erased when bundled). */
const IMPORT = /\b(?:import|export)\s+(type\s+)?(?:[^;'"]*?\bfrom\s*)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/g;
/** The packages the dashboard bundles; it may name others' types only (e.g. zod's, for the schemas). */
const BROWSER_PACKAGES = /^(preact|preact\/hooks|htm|uplot)$/;
const inSchemas = (path: string) => path.startsWith("src/schemas/");

function dashboardViolations(files: SourceFile[]): string[] {
  return files.filter((file) => inDashboard(file.path)).flatMap((file) =>
    [...file.text.matchAll(IMPORT)].flatMap((m) => {
      const typeOnly = m[1] !== undefined;
      const specifier = (m[2] ?? m[3])!;
      if (!specifier.startsWith(".")) return typeOnly || BROWSER_PACKAGES.test(specifier) ? [] : [`${file.path} bundles ${specifier}`];
      const target = posix.join(posix.dirname(file.path), specifier);
      if (inDashboard(target) || (typeOnly && inSchemas(target))) return [];
      return [`${file.path} imports ${target}${typeOnly ? "" : " (not as a type)"}`];
    }),
  );
}

describe("layering: the dashboard is browser code apart from the worker", () => {
  const files = sourceFiles();

  it("no worker file imports from src/dashboard", () => {
    const imports = files
      .filter((file) => !inDashboard(file.path))
      .flatMap((file) => importsOf(file).filter(inDashboard).map((target) => `${file.path} imports ${target}`));
    expect(imports).toEqual([]);
  });

  it("src/dashboard imports only itself, its browser packages, and types of the shared schemas (src/schemas)", () => {
    expect(dashboardViolations(files)).toEqual([]);
  });

  it("sees the dashboard's imports: a value import of a schema or of the engine is caught", () => {
    const types = files.find((f) => f.path === "src/dashboard/types.ts")!;
    expect(types.text).toMatch(/import type [^;]+ from "..\/schemas\/job"/);
    const bad = [
      { path: "src/dashboard/a.ts", text: 'import { JobSchema } from "../schemas/job";' },
      { path: "src/dashboard/b.ts", text: 'import type { Env } from "../engine/lanes";' },
      { path: "src/dashboard/c.ts", text: 'import { z } from "zod";' },
    ];
    expect(dashboardViolations(bad)).toEqual([
      "src/dashboard/a.ts imports src/schemas/job (not as a type)",
      "src/dashboard/b.ts imports src/engine/lanes",
      "src/dashboard/c.ts bundles zod",
    ]);
  });
});

/** The API client (src/client/, `edge-jobs/client`) runs in Node, browsers and Workers, apart from the worker. */
const inClient = (path: string) => path === "src/client" || path.startsWith("src/client/");
/** Types it may name: the shared schemas, and the job definitions whose input schemas type `jobs.submit`. */
const clientMayType = (path: string) => inSchemas(path) || path.startsWith("src/jobs/");
/** Code it may bundle: the handler-call signature (Web Crypto only), so signing and verifying share one format. */
const clientMayBundle = (path: string) => path === "src/handlers/signature";

function clientViolations(files: SourceFile[]): string[] {
  return files.filter((file) => inClient(file.path)).flatMap((file) =>
    [...file.text.matchAll(IMPORT)].flatMap((m) => {
      const typeOnly = m[1] !== undefined;
      const specifier = (m[2] ?? m[3])!;
      // No package is bundled: a type of zod's (for `z.infer`) is all it may name.
      if (!specifier.startsWith(".")) return typeOnly ? [] : [`${file.path} bundles ${specifier}`];
      const target = posix.join(posix.dirname(file.path), specifier);
      if (inClient(target) || clientMayBundle(target) || (typeOnly && clientMayType(target))) return [];
      return [`${file.path} imports ${target}${typeOnly ? "" : " (not as a type)"}`];
    }),
  );
}

describe("layering: the client imports only types of the worker", () => {
  const files = sourceFiles();

  it("no worker file imports from src/client", () => {
    const imports = files
      .filter((file) => !inClient(file.path) && !inCli(file.path))
      .flatMap((file) => importsOf(file).filter(inClient).map((target) => `${file.path} imports ${target}`));
    expect(imports).toEqual([]);
  });

  it("src/client imports only itself, types of src/schemas and src/jobs, and the signature module", () => {
    expect(clientViolations(files)).toEqual([]);
  });

  it("sees the client's imports: a value import of a schema, a type of the engine or a package is caught", () => {
    const types = files.find((f) => f.path === "src/client/types.ts")!;
    expect(types.text).toMatch(/import type [^;]+ from "..\/schemas\/job"/);
    const bad = [
      { path: "src/client/a.ts", text: 'import { JobSchema } from "../schemas/job";' },
      { path: "src/client/b.ts", text: 'import type { JobEvent } from "../engine/events";' },
      { path: "src/client/c.ts", text: 'import { z } from "zod";' },
      { path: "src/client/d.ts", text: 'import { simulate } from "../jobs/simulate";' },
    ];
    expect(clientViolations(bad)).toEqual([
      "src/client/a.ts imports src/schemas/job (not as a type)",
      "src/client/b.ts imports src/engine/events",
      "src/client/c.ts bundles zod",
      "src/client/d.ts imports src/jobs/simulate (not as a type)",
    ]);
  });
});

/** The CLI (src/cli/, the `edge-jobs` bin) is a consumer of the client, in Node, never part of the worker. */
const inCli = (path: string) => path === "src/cli" || path.startsWith("src/cli/");
const CLI_PACKAGES = new Set(["commander", "cli-progress"]);

function cliViolations(files: SourceFile[]): string[] {
  return files.filter((file) => inCli(file.path)).flatMap((file) =>
    [...file.text.matchAll(SPECIFIER)].flatMap((m) => {
      const specifier = (m[1] ?? m[2])!;
      if (!specifier.startsWith(".")) return specifier.startsWith("node:") || CLI_PACKAGES.has(specifier) ? [] : [`${file.path} bundles ${specifier}`];
      const target = posix.join(posix.dirname(file.path), specifier);
      return inCli(target) || inClient(target) ? [] : [`${file.path} imports ${target}`];
    }),
  );
}

describe("layering: the CLI stands on the client alone", () => {
  it("src/cli imports only itself, src/client, Node built-ins, commander and cli-progress", () => {
    expect(cliViolations(sourceFiles())).toEqual([]);
  });

  it("catches a CLI reaching into the worker or another package", () => {
    const bad = [
      { path: "src/cli/a.ts", text: 'import { submitJobs } from "../engine/submit";' },
      { path: "src/cli/b.ts", text: 'import { z } from "zod";' },
    ];
    expect(cliViolations(bad)).toEqual(["src/cli/a.ts imports src/engine/submit", "src/cli/b.ts bundles zod"]);
  });
});
