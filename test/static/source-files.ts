import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

export const ROOT = join(import.meta.dirname, "../..");

export interface SourceFile {
  /** Relative to the repository, with forward slashes: `src/engine/submit.ts`. */
  path: string;
  text: string;
}

/** Every TypeScript file under `src/`. */
export function sourceFiles(): SourceFile[] {
  const dir = join(ROOT, "src");
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => {
      const path = relative(ROOT, join(dir, name)).split("\\").join("/");
      return { path, text: readFileSync(join(dir, name), "utf8") };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}
