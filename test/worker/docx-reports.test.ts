import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { MAX_DOCX_PARTS } from "../../src/reports/docx";
import { api, json, newTenant, submit, waitForStatus } from "./helpers";

const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const reportsTenant = () => newTenant(["reports:read", "reports:write", "jobs:read", "jobs:write"]);

const decode = (xml: string) => xml.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
const textOf = (xml: string) => [...xml.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((m) => decode(m[1]!)).join("");
const attr = (xml: string, element: string) => new RegExp(`<w:${element} w:val="([^"]+)"`).exec(xml)?.[1];

/** A body paragraph as a reader sees it: its style, list numbering and level, text, and whether any run is bold. */
interface Paragraph {
  kind: "p";
  style?: string;
  numId?: string;
  level?: string;
  text: string;
  bold: boolean;
}
interface Table {
  kind: "table";
  rows: string[][];
}

/** The body of word/document.xml, element by element (the generator nests no table in a table). */
function bodyOf(documentXml: string): (Paragraph | Table)[] {
  const body = /<w:body>(.*)<\/w:body>/s.exec(documentXml)![1]!;
  return [...body.matchAll(/<w:tbl>.*?<\/w:tbl>|<w:p(?: [^>]*)?>.*?<\/w:p>|<w:p\/>/gs)].map(([xml]) => {
    if (xml.startsWith("<w:tbl>")) {
      const rows = [...xml.matchAll(/<w:tr(?: [^>]*)?>.*?<\/w:tr>/gs)].map(([row]) => [...row.matchAll(/<w:tc>.*?<\/w:tc>/gs)].map(([cell]) => textOf(cell)));
      return { kind: "table", rows };
    }
    return { kind: "p", style: attr(xml, "pStyle"), numId: attr(xml, "numId"), level: attr(xml, "ilvl"), text: textOf(xml), bold: xml.includes("<w:b/>") };
  });
}

/** numId → the format of its first level ("bullet", "decimal"), from word/numbering.xml. */
function numberFormats(numberingXml: string): Map<string, string> {
  const abstract = new Map<string, string>();
  for (const [, id, levels] of numberingXml.matchAll(/<w:abstractNum [^>]*w:abstractNumId="(\d+)"[^>]*>(.*?)<\/w:abstractNum>/gs)) {
    abstract.set(id!, attr(levels!, "numFmt")!);
  }
  const formats = new Map<string, string>();
  for (const [, numId, abstractId] of numberingXml.matchAll(/<w:num w:numId="(\d+)"[^>]*><w:abstractNumId w:val="(\d+)"\/>/g)) {
    formats.set(numId!, abstract.get(abstractId!)!);
  }
  return formats;
}

async function generate(key: string, input: Record<string, unknown>): Promise<any> {
  const job = await submit(key, { type: "report.generate", input });
  return waitForStatus(key, job.id, ["completed", "failed"]);
}

const BODY = `# {{ report.name }}

Revenue is **{{ data.total }} EUR** for *{{ data.quarter }}* (see [the ledger](https://example.com/ledger)).

## Regions

{% for r in data.regions %}- {{ r.name }}
{% endfor %}  - nested under the last

1. first step
2. second step

| Region | Revenue |
|---|---:|
{% for r in data.regions %}| {{ r.name }} | {{ r.revenue }} |
{% endfor %}
Closing & done.
`;

const DATA = {
  total: 600,
  quarter: "Q3",
  regions: [
    { name: "North", revenue: 100 },
    { name: "South <S>", revenue: 200 },
    { name: "East", revenue: 300 },
  ],
};

describe("docx reports", () => {
  it("renders Markdown into a Word document whose headings, paragraphs, lists and table read back", async () => {
    const { key } = await reportsTenant();
    const done = await generate(key, { template: { format: "docx", body: BODY }, data: DATA, reportName: "q3-revenue" });
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.result).toMatchObject({ format: "docx", version: 1, duplicate: false });

    const res = await api(done.result.contentUrl.replace("/api/v1", ""), { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(DOCX);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(strFromU8(files["[Content_Types].xml"]!)).toMatch(/<Override (?=[^>]*PartName="\/word\/document\.xml")(?=[^>]*ContentType="[^"]+wordprocessingml\.document\.main\+xml")/);
    expect(strFromU8(files["docProps/core.xml"]!)).toContain("<dc:title>q3-revenue</dc:title>");

    const body = bodyOf(strFromU8(files["word/document.xml"]!));
    const formats = numberFormats(strFromU8(files["word/numbering.xml"]!));
    const paragraphs = body.filter((b): b is Paragraph => b.kind === "p");
    const listed = paragraphs.filter((p) => p.numId !== undefined).map((p) => [p.text, formats.get(p.numId!), p.level]);
    expect(paragraphs.filter((p) => p.style?.startsWith("Heading")).map((p) => [p.style, p.text])).toEqual([["Heading1", "q3-revenue"], ["Heading2", "Regions"]]);
    expect(paragraphs.find((p) => p.text.startsWith("Revenue"))).toMatchObject({ text: "Revenue is 600 EUR for Q3 (see the ledger).", bold: true });
    expect(listed).toEqual([
      ["North", "bullet", "0"],
      ["South <S>", "bullet", "0"],
      ["East", "bullet", "0"],
      ["nested under the last", "bullet", "1"],
      ["first step", "decimal", "0"],
      ["second step", "decimal", "0"],
    ]);
    expect(body.filter((b) => b.kind === "table")).toEqual([
      { kind: "table", rows: [["Region", "Revenue"], ["North", "100"], ["South <S>", "200"], ["East", "300"]] },
    ]);
    expect(paragraphs.at(-1)?.text).toBe("Closing & done.");
    // The link is a hyperlink to its address, by a relationship named in document order.
    expect(strFromU8(files["word/_rels/document.xml.rels"]!)).toMatch(/<Relationship (?=[^>]*Id="rIdLink1")(?=[^>]*Type="[^"]+\/hyperlink")(?=[^>]*Target="https:\/\/example\.com\/ledger")/);
  });

  it("gives the same bytes for the same text: an unchanged render stores no new version", async () => {
    const { key } = await reportsTenant();
    const input = { template: { format: "docx", body: BODY }, data: DATA, reportName: "same-docx" };
    const first = await generate(key, input);
    const again = await generate(key, input);
    expect(again.result).toMatchObject({ version: 1, duplicate: true, sha256: first.result.sha256 });
    const changed = await generate(key, { ...input, data: { ...DATA, total: 601 } });
    expect(changed.result).toMatchObject({ version: 2, duplicate: false });
    const diff = await api(`/reports/${first.result.reportId}/diff?from=1&to=2`, { key });
    expect((await json(diff, 422)).error.code).toBe("binary_format");
  });

  it("previews a saved docx template, and refuses a document past its size bound with a 422", async () => {
    const { key } = await reportsTenant();
    const tpl = await json(await api("/templates", { key, body: { name: "memo", format: "docx", body: "# Memo\n\nHello {{ who }}.\n", variables: [{ name: "who", required: true }] } }), 201);
    const preview = await api(`/templates/${tpl.id}/preview`, { key, body: { variables: { who: "team" } } });
    expect(preview.status).toBe(200);
    expect(preview.headers.get("content-type")).toBe(DOCX);
    const files = unzipSync(new Uint8Array(await preview.arrayBuffer()));
    expect(bodyOf(strFromU8(files["word/document.xml"]!))).toMatchObject([{ style: "Heading1", text: "Memo" }, { text: "Hello team." }]);

    // Each list item is a paragraph and a run: this many items pass the bound.
    const items = Math.ceil(MAX_DOCX_PARTS / 2) + 10;
    const huge = { template: { name: "huge", format: "docx", body: `{% for i in (1..${items}) %}- {{ i }}\n{% endfor %}`, variables: [] } };
    const refused = await json(await api("/templates/preview", { key, body: huge }), 422);
    expect(refused.error).toMatchObject({ code: "limit_exceeded", details: [{ limit: "docx_parts", max: MAX_DOCX_PARTS }] });
    expect(refused.error.message).toContain(`more than ${MAX_DOCX_PARTS} paragraphs`);
  });
});
