// Renders the template as edited, saved or not, with values typed here (POST /templates/preview for
// a draft, /templates/{id}/preview for the saved one; nothing is stored).
// Text formats are shown as text (HTML as its source); a PDF is offered as a file to open.
import { useEffect, useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { html } from "../html";
import { templates } from "../resource-api";
import type { Template, TemplateVariable } from "../resource-types";
import { FormError, type Issue, TextAreaField, issueAt, issuesOf, otherIssues } from "./form-field";

const PLACEHOLDER: Record<TemplateVariable["type"], unknown> = {
  string: "",
  number: 0,
  integer: 0,
  boolean: false,
  date: new Date().toISOString().slice(0, 10),
  array: [],
  object: {},
};

/** A value for each declared variable to start from: its default, or an empty one of its type. */
function sampleValues(variables: TemplateVariable[]): Record<string, unknown> {
  return Object.fromEntries(variables.map((v) => [v.name, v.default ?? PLACEHOLDER[v.type]]));
}

function parseJson(text: string, path: string, issues: Issue[]): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    issues.push({ path, message: `Not valid JSON: ${(error as Error).message}` });
    return undefined;
  }
}

type Output = { text: string } | { url: string; extension: "pdf" | "docx" };
const DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/** The editor's unsaved template: what the preview renders until it is saved. */
export type DraftTemplate = Pick<Template, "body" | "format" | "variables">;

export function TemplatePreview({ template, draft }: { template: Template; draft?: DraftTemplate }) {
  const [variables, setVariables] = useState(() => JSON.stringify(sampleValues(template.variables), null, 2));
  const [data, setData] = useState("");
  const [local, setLocal] = useState<Issue[]>([]);
  const [output, setOutput] = useState<Output>();
  const action = useAction();
  useEffect(() => () => {
    if (output && "url" in output) URL.revokeObjectURL(output.url);
  }, [output]);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const issues: Issue[] = [];
    const values = parseJson(variables, "values", issues) ?? {};
    const context = parseJson(data, "data", issues);
    setLocal(issues);
    if (issues.length > 0) return;
    action.run("preview", async () => {
      const input = { variables: values as Record<string, unknown>, data: context };
      const blob = draft
        ? await templates.previewDraft({ template: { ...draft, name: template.name }, ...input })
        : await templates.preview(template.id, input);
      const extension = blob.type.startsWith("application/pdf") ? "pdf" : blob.type.startsWith(DOCX_TYPE) ? "docx" : null;
      setOutput(extension ? { url: URL.createObjectURL(blob), extension } : { text: await blob.text() });
    });
  };
  const issues = [...local, ...issuesOf(action.error)];
  return html`
    <form class="resource-form" onSubmit=${onSubmit} aria-label="Preview the template">
      ${draft ? html`<p class="message message-info">The preview renders your unsaved changes.</p>` : null}
      <div class="form-grid">
        <${TextAreaField} label="Variable values (JSON)" value=${variables} onValue=${setVariables} class="mono" rows="5"
          error=${issueAt(issues, "values", "variables")} hint="An object: a value for each declared variable; defaults fill those left out." />
        <${TextAreaField} label="Data (JSON)" value=${data} onValue=${setData} class="mono" rows="3"
          error=${issueAt(issues, "data")} hint="Optional: what the template sees as data." />
      </div>
      <${FormError} error=${action.error} issues=${otherIssues(issuesOf(action.error), ["variables"])} />
      <div class="button-row">
        <button type="submit" disabled=${action.busy !== undefined} aria-busy=${action.busy !== undefined}>${action.busy ? "Rendering…" : "Preview"}</button>
      </div>
      <div aria-live="polite">
        ${output && "text" in output
          ? html`<pre class="json content-view" tabindex="0" aria-label="Preview output">${output.text}</pre>`
          : null}
        ${output && "url" in output ? html`<p><a href=${output.url} download=${`${template.name}-preview.${output.extension}`}>Download the ${output.extension.toUpperCase()} preview</a></p>` : null}
      </div>
    </form>
  `;
}
