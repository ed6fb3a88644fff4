import { describe, expect, it } from "vitest";
import { sourceFiles } from "./source-files";

const MAX_LINES = 300;
/** A longer file says why in one of its first lines, in these words. */
const REASON = /longer than 300 lines because/i;
const REASON_WITHIN_LINES = 15;
/** Files let off while someone splits them. Keep it empty: a file that must stay long says why. */
const BEING_SPLIT: ReadonlySet<string> = new Set<string>([]);

const lineCount = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

describe("file size", () => {
  it(`no file under src/ is over ${MAX_LINES} lines without a reason written near its top`, () => {
    const unexplained = sourceFiles()
      .filter((file) => lineCount(file.text) > MAX_LINES && !BEING_SPLIT.has(file.path))
      .filter((file) => !REASON.test(file.text.split("\n").slice(0, REASON_WITHIN_LINES).join("\n")))
      .map((file) => `${file.path}: ${lineCount(file.text)} lines`);
    expect(unexplained).toEqual([]);
  });
});
