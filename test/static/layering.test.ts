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
