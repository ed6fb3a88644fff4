// `npm run bench -- reports`: render + store time of `report.generate` for a ~5 MB Markdown report,
// a PDF laid out from ~5 MB of text and a ~5 MB PDF (whose text the layout caps: MAX_PDF_TEXT in
// src/reports/render.ts), with an inline template over data from an uploaded JSON file. Numbers only.
import { type Platform, fmt, percentile, waitJob, withPlatform } from "./harness.ts";

/** src/reports/render.ts: a PDF is laid out from at most this many characters of text (MAX_REPORT_BYTES). */
const MAX_PDF_TEXT = 10 * 1024 * 1024;
const RUNS = 3;
/** Long rows: the render counts steps (tags, outputs, loop iterations; at most 1,000,000), so 5 MB takes records of about 1 KB. */
const NOTES = 1_000;
const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike"];
/** Text that varies from record to record (so the PDF's compressed streams are not trivially small), exactly `length` characters. */
function notes(i: number, length: number): string {
  let text = "";
  for (let k = 0; text.length < length; k++) text += `${WORDS[(i * 7 + k * 3 + ((i * k) % 5)) % WORDS.length]}${(i + k) % 100} `;
  return text.slice(0, length);
}

const MARKDOWN = [
  "# Bench report {{ run }}",
  "",
  "| id | name | email | score | notes |",
  "|---|---|---|---|---|",
  "{% for r in data %}| {{ r.id }} | {{ r.name }} | {{ r.email }} | {{ r.score }} | {{ r.notes }} |",
  "{% endfor %}",
].join("\n");
const PDF = ["# Bench report {{ run }}", "", "{% for r in data %}{{ r.id }} {{ r.name }} {{ r.email }} {{ r.score }} {{ r.notes }}", "{% endfor %}"].join("\n");

const record = (i: number, notesLength = NOTES) => {
  const id = String(i).padStart(6, "0");
  return { id, name: `name ${id}`, email: `u${id}@example.com`, score: String(i % 1000).padStart(3, "0"), notes: notes(i, notesLength) };
};
/** The length of one rendered line of each template: every record renders to the same length. */
const lineLength = (format: "markdown" | "pdf", notesLength = NOTES) => {
  const r = record(1, notesLength);
  return (format === "pdf" ? `${r.id} ${r.name} ${r.email} ${r.score} ${r.notes}\n` : `| ${r.id} | ${r.name} | ${r.email} | ${r.score} | ${r.notes} |\n`).length;
};
const LINE = { markdown: lineLength("markdown"), pdf: lineLength("pdf") };
const HEAD = { markdown: 80 + 10, pdf: 30 };

async function uploadData(p: Platform, rows: number, notesLength: number): Promise<{ id: string; bytes: number }> {
  const body = JSON.stringify(Array.from({ length: rows }, (_, i) => record(i + 1, notesLength)));
  const res = await p.call(`/uploads?name=report-data-${rows}.json`, { body, headers: { "content-type": "application/json" } });
  const text = await res.text();
  if (!res.ok) throw new Error(`upload of the data answered ${res.status}: ${text}`);
  return { id: JSON.parse(text).id, bytes: Buffer.byteLength(body) };
}

interface Run {
  status: string;
  seconds: number;
  stampedSeconds: number;
  size: number;
  error?: string;
}

/** One report.generate job, timed from submit to the client seeing it finish (polled every 20 ms). */
async function generate(p: Platform, format: "markdown" | "pdf", dataId: string, run: number): Promise<Run> {
  const body = format === "pdf" ? PDF : MARKDOWN;
  const started = performance.now();
  const job = await p.api("/jobs", {
    type: "report.generate",
    input: { template: { body, format, variables: [{ name: "run", type: "integer", required: true }] }, variables: { run }, dataFromUpload: dataId, reportName: `bench-${format}` },
  });
  const { job: done, seenAt } = await waitJob(p, job.id, 600_000, 20);
  const stampedSeconds = done.startedAt && done.finishedAt ? (Date.parse(done.finishedAt) - Date.parse(done.startedAt)) / 1000 : NaN;
  const result = { status: done.status, seconds: (seenAt - started) / 1000, stampedSeconds, size: done.result?.size ?? 0 };
  if (done.status !== "completed") return { ...result, error: `${done.error?.name}: ${done.error?.message}` };
  const content = await p.call(done.result.contentUrl.replace("/api/v1", ""));
  const bytes = (await content.arrayBuffer()).byteLength;
  if (bytes !== done.result.size) throw new Error(`version has ${bytes} bytes, the result says ${done.result.size}`);
  return result;
}

/** RUNS renders of `rows` records in `format`; prints them and their median. */
async function measure(p: Platform, format: "markdown" | "pdf", rows: number, label: string, notesLength = NOTES) {
  const data = await uploadData(p, rows, notesLength);
  const runs: Run[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const r = await generate(p, format, data.id, run);
    runs.push(r);
    if (r.status !== "completed") break;
  }
  const failed = runs.find((r) => r.status !== "completed");
  const text = HEAD[format] + rows * lineLength(format, notesLength);
  const what = `${label}: ${rows} records (data file ${fmt(data.bytes / 1e6, 2)} MB), ~${fmt(text / 1e6, 2)} M characters of text`;
  if (failed) {
    console.log(`${what}: REFUSED (${failed.status} after ${fmt(failed.seconds, 2)} s): ${failed.error}`);
    return;
  }
  const times = runs.map((r) => r.seconds);
  console.log(`${what} => ${fmt(runs[0]!.size / 1e6, 2)} MB ${format}: render + store ${times.map((t) => fmt(t, 2)).join(", ")} s (median ${fmt(percentile(times, 50), 2)} s; submit to completion seen by the client)` +
    `; job's own startedAt..finishedAt ${runs.map((r) => fmt(r.stampedSeconds, 2)).join(", ")} s`);
}

export async function reportReports(admin: string) {
  await withPlatform(admin, {}, async (p) => {
    console.log(`## Reports: report.generate with an inline template over an uploaded JSON data file, ${RUNS} runs each`);
    const target = 5 * 1e6;
    await measure(p, "markdown", Math.ceil((target - HEAD.markdown) / LINE.markdown), "Markdown ~5 MB");
    await measure(p, "pdf", Math.ceil((target - HEAD.pdf) / LINE.pdf), "PDF from ~5 MB of text");
    // A PDF holds about half a byte per character of text: a 5 MB PDF is laid out from some 10 MB.
    // Longer records keep the render within its step budget.
    const long = 4 * NOTES;
    // Near the largest: a report's text and its data file are both capped at 10 MiB (MAX_PDF_TEXT).
    await measure(p, "pdf", Math.ceil((2.04 * target - HEAD.pdf) / lineLength("pdf", long)), `PDF of ~5 MB (MAX_PDF_TEXT: ${MAX_PDF_TEXT} characters)`, long);
    console.log("");
  });
}
