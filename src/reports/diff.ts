import { FILE_HEADERS_ONLY, createTwoFilesPatch } from "diff";
import { InvalidInputError } from "../errors";
import { isBinaryFormat } from "./formats";
import type { VersionRow } from "./store";

/**
 * A diff is computed inside the request, on the isolate every tenant shares, so its work is
 * bounded before it starts and while it runs. jsdiff (Myers) does about edits² work when the
 * texts differ throughout and up to lines × edits when they differ in many scattered places; at
 * 50,000 lines and 500 edits either is some tens of milliseconds. jsdiff's `timeout` would read
 * `Date.now()`, which a Worker does not advance while code runs, so the edit bound is what stops it.
 */
export const DIFF_LIMITS = { versionBytes: 1024 * 1024, versionLines: 50_000, editLength: 500 } as const;

const tooLarge = (message: string, detail: Record<string, number | string>) =>
  new InvalidInputError("diff_too_large", message, [detail]);

/** Refuses, before its bytes are read, a version that cannot be diffed line by line or is too large to. */
export function assertDiffable(version: VersionRow): void {
  if (isBinaryFormat(version.format)) {
    throw new InvalidInputError("binary_format", `version ${version.version} is ${version.format}, which cannot be diffed line by line`);
  }
  if (version.size > DIFF_LIMITS.versionBytes) {
    throw tooLarge(`version ${version.version} is ${version.size} bytes; at most ${DIFF_LIMITS.versionBytes} can be diffed`, {
      limit: "version_bytes",
      max: DIFF_LIMITS.versionBytes,
      version: version.version,
    });
  }
}

function lineCount(text: string): number {
  let lines = text === "" || text.endsWith("\n") ? 0 : 1;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lines++;
  return lines;
}

function gnuHunkHeader(_: string, oldStart: string, oldLines: string, newStart: string, newLines: string): string {
  const range = (start: string, lines: string) => (lines === "1" ? start : `${start},${lines}`);
  return `@@ -${range(oldStart, oldLines)} +${range(newStart, newLines)} @@`;
}

export interface DiffSide {
  name: string;
  version: number;
  text: string;
}

/**
 * A unified diff of two texts, like `diff -u`: nothing at all when they are equal, and a one-line
 * range written as its start line alone. Refused (`diff_too_large`, naming the bound) when a text
 * has too many lines or the texts differ by more edits than the bound.
 */
export function unifiedDiff(from: DiffSide, to: DiffSide, context: number): string {
  for (const side of [from, to]) {
    const lines = lineCount(side.text);
    if (lines > DIFF_LIMITS.versionLines) {
      throw tooLarge(`version ${side.version} has ${lines} lines; at most ${DIFF_LIMITS.versionLines} can be diffed`, {
        limit: "version_lines",
        max: DIFF_LIMITS.versionLines,
        version: side.version,
      });
    }
  }
  const patch = createTwoFilesPatch(from.name, to.name, from.text, to.text, undefined, undefined, {
    headerOptions: FILE_HEADERS_ONLY,
    context,
    maxEditLength: DIFF_LIMITS.editLength,
  });
  if (patch === undefined) {
    throw tooLarge(`versions ${from.version} and ${to.version} differ by more than ${DIFF_LIMITS.editLength} lines added or removed, too many to diff`, {
      limit: "edit_length",
      max: DIFF_LIMITS.editLength,
    });
  }
  return patch.includes("\n@@ ") ? patch.replace(/^@@ -(\d+),(\d+) \+(\d+),(\d+) @@/gm, gnuHunkHeader) : "";
}
