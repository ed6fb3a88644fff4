// Adds a document: uploads the file (POST /uploads, up to 100 MiB in one request), then registers it
// in a collection (POST /documents), which queues the document.ingest job that indexes it.
import { useRef, useState } from "preact/hooks";
import { useAction } from "../action-hooks";
import { html } from "../html";
import { documents } from "../resource-api";
import { Notice } from "./common";
import { type ControlIds, Field, FormError, type Issue, TextField, issueAt, issuesOf, otherIssues } from "./form-field";
import { JobLink } from "./job-link";

const COLLECTION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const ACCEPT = ".txt,.md,.markdown,.html,.htm,.csv,.json,.pdf,text/*,application/json,application/pdf";

async function addDocument(file: File, collection: string, name: string) {
  const upload = await documents.upload(file);
  try {
    return await documents.register({ uploadId: upload.id, collection, name: name || undefined });
  } catch (error) {
    // A file no document was made from is only taking room.
    await documents.discardUpload(upload.id).catch(() => undefined);
    throw error;
  }
}

export function DocumentUpload({ onAdded }: { onAdded: () => void }) {
  const [file, setFile] = useState<File>();
  const [collection, setCollection] = useState("");
  const [name, setName] = useState("");
  const [local, setLocal] = useState<Issue[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const action = useAction();
  const issues = [...local, ...issuesOf(action.error)];
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const found: Issue[] = [];
    if (!file) found.push({ path: "file", message: "Choose a file: text, Markdown, HTML, CSV, JSON or PDF." });
    if (!COLLECTION.test(collection.trim())) found.push({ path: "collection", message: "Letters, digits, _, . and -, starting with a letter or digit." });
    setLocal(found);
    if (found.length > 0 || !file) return;
    action.run("upload", async () => {
      const doc = await addDocument(file, collection.trim(), name.trim());
      setFile(undefined);
      setName("");
      if (input.current) input.current.value = "";
      onAdded();
      return html`<span>${doc.name} is registered in ${doc.collection}${doc.jobId ? html`; job <${JobLink} id=${doc.jobId} /> indexes it` : ""}.</span>`;
    });
  };
  return html`
    <form class="resource-form" onSubmit=${onSubmit} aria-label="Add a document" noValidate>
      <div class="form-grid">
        <${Field} label="File" error=${issueAt(issues, "file", "documents")} hint="Text, Markdown, HTML, CSV, JSON or PDF, up to 100 MiB.">
          ${(ids: ControlIds) => html`<input ref=${input} id=${ids.id} type="file" accept=${ACCEPT} aria-describedby=${ids.describedBy}
            aria-invalid=${ids.invalid} onChange=${(e: Event) => setFile((e.currentTarget as HTMLInputElement).files?.[0])} />`}
        </${Field}>
        <${TextField} label="Collection" value=${collection} onValue=${setCollection} required autocomplete="off" spellcheck="false"
          error=${issueAt(issues, "collection")} hint="Documents are searched by collection, e.g. handbook." />
        <${TextField} label="Document name" value=${name} onValue=${setName} autocomplete="off" error=${issueAt(issues, "name")}
          hint="Optional: the file's name otherwise." />
      </div>
      <${FormError} error=${action.error} issues=${otherIssues(issuesOf(action.error), ["collection", "name", "documents"])} />
      ${action.notice ? html`<${Notice}>${action.notice}</${Notice}>` : null}
      <div class="button-row">
        <button type="submit" class="button-primary" disabled=${action.busy !== undefined} aria-busy=${action.busy !== undefined}>
          ${action.busy ? "Uploading…" : "Upload and index"}
        </button>
      </div>
    </form>
  `;
}
