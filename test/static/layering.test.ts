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
