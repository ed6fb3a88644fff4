// A unified diff (GET /reports/{id}/diff, as `diff -u` writes it) as a table: each line with its
// numbers in both versions, and added and removed lines marked by a +/- sign and words for screen
// readers as well as by colour.
import { formatNumber } from "../format";
import { html } from "../html";

export interface DiffLine {
  kind: "added" | "removed" | "context" | "hunk" | "note";
  text: string;
  oldLine?: number;
  newLine?: number;
}

export interface ParsedDiff {
  lines: DiffLine[];
  added: number;
  removed: number;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

export function parseUnifiedDiff(text: string): ParsedDiff {
  const lines: DiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  let added = 0;
  let removed = 0;
  for (const raw of text.split("\n")) {
    const hunk = HUNK.exec(raw);
    if (hunk) {
      inHunk = true;
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      lines.push({ kind: "hunk", text: raw });
    } else if (!inHunk) {
      // The "--- a" and "+++ b" file headers: the page names the versions itself.
    } else if (raw.startsWith("+")) {
      added++;
      lines.push({ kind: "added", text: raw.slice(1), newLine: newLine++ });
    } else if (raw.startsWith("-")) {
      removed++;
      lines.push({ kind: "removed", text: raw.slice(1), oldLine: oldLine++ });
    } else if (raw.startsWith(" ")) {
      lines.push({ kind: "context", text: raw.slice(1), oldLine: oldLine++, newLine: newLine++ });
    } else if (raw.startsWith("\\")) {
      lines.push({ kind: "note", text: raw.slice(1).trim() });
    }
  }
  return { lines, added, removed };
}

const SIGN = { added: "+", removed: "-", context: " " } as const;
const SPOKEN = { added: "Added: ", removed: "Removed: ", context: "" } as const;

function Row({ line }: { line: DiffLine }) {
  if (line.kind === "hunk" || line.kind === "note") {
    return html`<tr class=${`diff-${line.kind}`}><td colspan="3">${line.text}</td></tr>`;
  }
  return html`
    <tr class=${`diff-${line.kind}`}>
      <td class="diff-number">${line.oldLine ?? ""}</td>
      <td class="diff-number">${line.newLine ?? ""}</td>
      <td class="diff-text"><span class="diff-sign" aria-hidden="true">${SIGN[line.kind]}</span><span class="visually-hidden">${SPOKEN[line.kind]}</span>${line.text}</td>
    </tr>
  `;
}

interface DiffViewProps {
  diff: string;
  from: number;
  to: number;
}

export function DiffView({ diff, from, to }: DiffViewProps) {
  const parsed = parseUnifiedDiff(diff);
  const heading = `Changes from version ${from} to version ${to}`;
  if (parsed.lines.length === 0) {
    return html`<p class="message message-info" role="status">Versions ${from} and ${to} have the same content.</p>`;
  }
  return html`
    <div class="diff">
      <p class="diff-summary" role="status">
        ${heading}: <span class="diff-count-added">${formatNumber(parsed.added)} line${parsed.added === 1 ? "" : "s"} added</span>${", "}<span class="diff-count-removed">${formatNumber(parsed.removed)} removed</span>.
      </p>
      <div class="table-scroll" role="region" aria-label=${heading} tabindex="0">
        <table class="diff-table">
          <thead><tr>
            <th scope="col" class="diff-number"><span aria-hidden="true">v${from}</span><span class="visually-hidden">Line in version ${from}</span></th>
            <th scope="col" class="diff-number"><span aria-hidden="true">v${to}</span><span class="visually-hidden">Line in version ${to}</span></th>
            <th scope="col">Text</th>
          </tr></thead>
          <tbody>${parsed.lines.map((line, i) => html`<${Row} key=${i} line=${line} />`)}</tbody>
        </table>
      </div>
    </div>
  `;
}
