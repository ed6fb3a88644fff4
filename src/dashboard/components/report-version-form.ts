// Stores a report version directly (POST /reports): the report is created if the tenant has none of
// the name. Text formats only: a PDF's bytes come from a report.generate job, not from a textarea.
import { useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { html } from "../html";
import { reports } from "../resource-api";
import { REPORT_FORMATS, type ReportFormat, type StoredVersion, isBinaryFormat } from "../resource-types";
import { FormError, SelectField, TextAreaField, TextField, issueAt, issuesOf, otherIssues } from "./form-field";
import { Notice } from "./common";

const TEXT_FORMATS = REPORT_FORMATS.filter((format) => !isBinaryFormat(format));

interface VersionFormProps {
  /** The report to add to; without it the form asks for a name. */
  reportName?: string;
  format?: ReportFormat;
  onStored: (stored: StoredVersion) => void;
}

export function ReportVersionForm({ reportName, format: initialFormat = "markdown", onStored }: VersionFormProps) {
  const [name, setName] = useState(reportName ?? "");
  const [format, setFormat] = useState<string>(isBinaryFormat(initialFormat) ? "text" : initialFormat);
  const [content, setContent] = useState("");
  const save = useAction();
  const issues = issuesOf(save.error);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    save.run("store", async () => {
      const stored = await reports.store({ name: name.trim(), format, content });
      onStored(stored);
      if (stored.duplicate) return `The content equals version ${stored.version.version}: nothing new was stored.`;
      setContent("");
      return `Stored version ${stored.version.version} of ${stored.report.name}.`;
    });
  };
  return html`
    <form class="resource-form" onSubmit=${onSubmit} aria-label="Store a new version">
      <div class="form-grid">
        ${reportName === undefined
          ? html`<${TextField} label="Report name" value=${name} onValue=${setName} required autocomplete="off" error=${issueAt(issues, "name")}
              hint="A new name creates a report; an existing one gets a new version." />`
          : null}
        <${SelectField} label="Format" value=${format} options=${TEXT_FORMATS} onValue=${setFormat} error=${issueAt(issues, "format")} />
        <${TextAreaField} label="Content" value=${content} onValue=${setContent} class="mono" rows="6" required error=${issueAt(issues, "content")} />
      </div>
      <${FormError} error=${save.error} issues=${otherIssues(issues, ["name", "format", "content"])} />
      ${save.notice ? html`<${Notice}>${save.notice}</${Notice}>` : null}
      <div class="button-row">
        <button type="submit" class="button-primary" disabled=${save.busy !== undefined} aria-busy=${save.busy !== undefined}>
          ${save.busy ? "Storing…" : "Store version"}
        </button>
      </div>
    </form>
  `;
}
