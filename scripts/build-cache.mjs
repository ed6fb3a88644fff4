// What the build scripts (dashboard, docs, client, CLI) share: a fingerprint of their inputs, so a
// build whose inputs have not changed is skipped (many vitest processes run them side by side), and
// writes that a reader never sees half done.
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The installed version of a package of node_modules. */
export const versionOf = (name) => JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;

/** Every file below `dir`, sorted. */
export function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** A hash of the files of `dirs`, the `files` named, and the versions of `packages`. */
export function fingerprint({ dirs = [], files = [], packages = [] }) {
  const hash = createHash("sha256");
  for (const file of [...dirs.flatMap(filesUnder), ...files]) {
    if (!existsSync(file)) continue;
    hash.update(relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  for (const name of packages) hash.update(`${name}@${versionOf(name)}\0`);
  return hash.digest("hex");
}

/** Whether `output` exists and was built from inputs with the fingerprint `current`. */
export function upToDate(output, fingerprintFile, current) {
  return existsSync(output) && existsSync(fingerprintFile) && readFileSync(fingerprintFile, "utf8") === current;
}

/** Writes a file whole or not at all (a temporary file renamed into place), with `mode` if given. */
export function writeAtomically(path, contents, mode) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  if (mode !== undefined) chmodSync(temporary, mode);
  renameSync(temporary, path);
}
