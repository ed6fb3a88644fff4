import { exports } from "cloudflare:workers";
import { Zip, ZipDeflate, strToU8, unzlibSync, zipSync } from "fflate";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { api, json, newTenant, submit, waitForStatus } from "./helpers";

/** Every computation a tenant controls (PDF layout, diffs, Liquid, archive import) is bounded and refused by name. */

const reportsTenant = () => newTenant(["reports:read", "reports:write", "jobs:read", "jobs:write"]);
const LINE_WIDTH = 595.28 - 2 * 56; // A4 less the margins of src/reports/pdf.ts
const MiB = 1024 * 1024;

async function preview(key: string, format: string, body: string, variables: Record<string, unknown> = {}) {
  const declared = Object.keys(variables).map((name) => ({ name, type: "string" }));
  const template = await json(await api("/templates", { key, body: { name: `t-${crypto.randomUUID()}`, format, body, variables: declared } }), 201);
  return api(`/templates/${template.id}/preview`, { key, body: { variables } });
}

/** The text of every line a PDF draws, in order (pdf-lib writes each as a hex string shown with Tj). */
function drawnLines(pdf: Uint8Array): string[] {
  const raw = new TextDecoder("latin1").decode(pdf);
  const lines: string[] = [];
  for (const match of raw.matchAll(/\/FlateDecode[^]*?stream\r?\n/g)) {
    const start = match.index! + match[0].length;
    const content = new TextDecoder("latin1").decode(unzlibSync(pdf.subarray(start, raw.indexOf("endstream", start))));
    for (const [, hex] of content.matchAll(/<([0-9A-Fa-f]*)> Tj/g)) {
      lines.push(String.fromCharCode(...hex!.match(/../g)!.map((h) => parseInt(h, 16))));
    }
  }
  return lines;
}

/** A line's width as the PDF shows it: Tj draws each glyph at its own width, without kerning. */
async function widthOfDrawn() {
  const font = await (await PDFDocument.create()).embedFont(StandardFonts.Helvetica);
  return (line: string) => [...line].reduce((sum, ch) => sum + font.widthOfTextAtSize(ch, 11), 0);
}

const word = (length: number) => Array.from({ length }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join("");

describe("PDF layout", () => {
  it("lays out a 256 KiB single-word body: every line within the page, every character drawn once", async () => {
    const { key } = await reportsTenant();
    const width = await widthOfDrawn();
    const long = word(256 * 1024);
    for (const body of ["Intro " + long.slice(0, 2_000), long]) {
      const res = await preview(key, "pdf", body);
      expect(res.status).toBe(200);
      const lines = drawnLines(new Uint8Array(await res.arrayBuffer()));
      expect(lines.join("")).toBe(body.replace(" ", ""));
      for (const line of lines) expect(width(line), line.slice(0, 40)).toBeLessThanOrEqual(LINE_WIDTH);
    }
  });
});

async function storeText(key: string, name: string, content: string) {
  return json(await api("/reports", { key, body: { name, format: "text", content } }), 201);
}

describe("report diffs", () => {
  it("refuses with 422 naming the bound a diff of two different 8,000-line versions, and a version too large to diff", async () => {
    const { key } = await reportsTenant();
    const lines = (prefix: string) => Array.from({ length: 8_000 }, (_, i) => `${prefix} line ${i}`).join("\n");
    const first = await storeText(key, "big-change", lines("old"));
    await storeText(key, "big-change", lines("new"));
    const err = await expectError(await api(`/reports/${first.report.id}/diff?from=1&to=2`, { key }), 422, "diff_too_large");
    expect(err.details).toEqual([{ limit: "edit_length", max: 500 }]);
    expect(err.message).toMatch(/more than 500 lines added or removed/);

    const huge = await storeText(key, "huge", "x\n".repeat(MiB / 2) + "y");
    await storeText(key, "huge", "x\n");
    const tooBig = await expectError(await api(`/reports/${huge.report.id}/diff?from=1&to=2`, { key }), 422, "diff_too_large");
    expect(tooBig.details).toEqual([{ limit: "version_bytes", max: MiB, version: 1 }]);

    const many = await storeText(key, "many-lines", "\n".repeat(60_000));
    await storeText(key, "many-lines", "\n".repeat(60_001));
    const tooLong = await expectError(await api(`/reports/${many.report.id}/diff?from=1&to=2`, { key }), 422, "diff_too_large");
    expect(tooLong.details).toEqual([{ limit: "version_lines", max: 50_000, version: 1 }]);

    // Within the bounds a diff still answers.
    const small = await storeText(key, "small-change", lines("same"));
    await storeText(key, "small-change", lines("same").replace("same line 4000", "changed line 4000"));
    const diff = await api(`/reports/${small.report.id}/diff?from=1&to=2`, { key });
    expect(diff.status).toBe(200);
    expect(await diff.text()).toContain("-same line 4000\n+changed line 4000\n");
  });
});

describe("Liquid limits", () => {
  const expectLimit = async (res: Response, limit: string) => {
    const err = await expectError(res, 422, "limit_exceeded");
    expect(err.details).toEqual([{ limit, max: expect.any(Number) }]);
    return err;
  };

  it("stops a nested 4000 x 4000 loop at the render step limit", async () => {
    const { key } = await reportsTenant();
    const err = await expectLimit(await preview(key, "text", "{% for i in (1..4000) %}{% for j in (1..4000) %}x{% endfor %}{% endfor %}"), "render_steps");
    expect(err.message).toMatch(/render steps/);
  });

  it("refuses a 30,000,000 range even when the loop breaks at once", async () => {
    const { key } = await reportsTenant();
    await expectLimit(await preview(key, "text", "{% for i in (1..30000000) %}{{ i }}{% break %}{% endfor %}"), "value_size");
  });

  it("stops 100 MB of output at the output limit while rendering", async () => {
    const { key } = await reportsTenant();
    const err = await expectLimit(await preview(key, "text", "{% for i in (1..100000) %}{{ chunk }}{% endfor %}", { chunk: "y".repeat(1_000) }), "output_size");
    expect(err.details).toEqual([{ limit: "output_size", max: 10 * MiB }]);
  });

  it("fails a report job at once, not retried, naming the limit", async () => {
    const { key } = await reportsTenant();
    const job = await submit(key, { type: "report.generate", input: { template: { body: "{% for i in (1..30000000) %}{% break %}{% endfor %}", format: "text" }, reportName: "bounded" } });
    const done: any = await waitForStatus(key, job.id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { name: "NonRetryableError", retryable: false } });
    expect(done.error.message).toMatch(/value_size|elements in one range/);
  });
});

function importArchive(key: string, archive: Uint8Array) {
  return exports.default.fetch("https://jobs.test/api/v1/reports/import", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/zip" },
    body: archive,
  });
}

async function sha256(bytes: Uint8Array) {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const manifestOf = (versions: { sha256: string; size: number }[]) => ({
  kind: "edge-jobs.report-archive",
  formatVersion: 1,
  report: { name: "imported" },
  versions: versions.map((v, i) => ({ version: i + 1, format: "text", templateId: null, contextHash: null, createdAt: "2024-01-01T00:00:00.000Z", file: `versions/${i + 1}.txt`, ...v })),
});

/** A ZIP written entry by entry, as a stream (sizes in data descriptors, not in the local headers); names may repeat. */
function streamedZip(entries: [string, Uint8Array[]][]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    chunks.push(chunk);
  });
  for (const [name, parts] of entries) {
    const file = new ZipDeflate(name, { level: 9 });
    zip.add(file);
    parts.forEach((part, i) => file.push(part, i === parts.length - 1));
  }
  zip.end();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}

async function expectNothingImported(key: string) {
  expect((await json(await api("/reports", { key }), 200)).items).toEqual([]);
}

describe("archive import", () => {
  it("refuses a second manifest.json, which would replace the checked one", async () => {
    const { key } = await reportsTenant();
    const sent = strToU8("the bytes that were sent\n");
    const other = strToU8("bytes that were never sent\n");
    const honest = strToU8(JSON.stringify(manifestOf([{ sha256: await sha256(sent), size: sent.length }])));
    const swapped = strToU8(JSON.stringify(manifestOf([{ sha256: await sha256(other), size: other.length }])));
    const archive = streamedZip([["manifest.json", [honest]], ["versions/1.txt", [sent]], ["manifest.json", [swapped]]]);
    const err = await expectError(await importArchive(key, archive), 422, "invalid_archive");
    expect(err.message).toMatch(/"manifest\.json" appears twice/);
    await expectNothingImported(key);
  });

  it("refuses a small archive that inflates a 60 MiB manifest, declared in its header or not", async () => {
    const { key } = await reportsTenant();
    const manifest = strToU8(JSON.stringify(manifestOf([])));
    const padding = new Uint8Array(MiB).fill(0x20); // JSON allows any amount of trailing whitespace
    const streamed = streamedZip([["manifest.json", [manifest, ...Array.from({ length: 60 }, () => padding)]]]);
    const declared = zipSync({ "manifest.json": [new Uint8Array([...manifest, ...new Uint8Array(60 * MiB).fill(0x20)]), { level: 9 }] });
    for (const archive of [streamed, declared]) {
      expect(archive.length).toBeLessThan(200 * 1024);
      const err = await expectError(await importArchive(key, archive), 422, "archive_too_large");
      expect(err.message).toMatch(/manifest\.json.*at most 8388608 bytes/);
    }
    await expectNothingImported(key);
  });
});
