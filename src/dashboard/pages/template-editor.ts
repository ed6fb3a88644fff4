import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { useAction } from "../action-hooks";
import { CodeEditor, positionOf } from "../components/code-editor";
import { ErrorMessage, Loading, Notice } from "../components/common";
import { ConfirmDialog } from "../components/dialog";
import { FormError, SelectField, TextAreaField, TextField, issueAt, issuesOf, otherIssues } from "../components/form-field";
import { type DraftTemplate, TemplatePreview } from "../components/template-preview";
import { type VariableDraft, VariablesEditor, declarationsOf, variableDrafts } from "../components/variables-editor";
import { useResource } from "../hooks";
import { html } from "../html";
import { templates } from "../resource-api";
import { REPORT_FORMATS, type Template } from "../resource-types";
import type { PageProps } from "../routes";
import { href, navigate } from "../router";
import { useSession } from "../session";

interface Draft {
  name: string;
  description: string;
  format: Template["format"];
  body: string;
  variables: VariableDraft[];
}

const draftOf = (t?: Template): Draft => ({
  name: t?.name ?? "",
  description: t?.description ?? "",
  format: t?.format ?? "markdown",
  body: t?.body ?? "# {{ report.name }}\n",
  variables: variableDrafts(t?.variables ?? []),
});

const SHOWN = ["name", "description", "format", "body", "variables"];

interface TemplateFormProps {
  original?: Template;
  writable: boolean;
  onSaved: (t: Template) => void;
  /** Called on every change with the unsaved draft, which the preview then renders. */
  onEdit?: (draft: DraftTemplate) => void;
}

function TemplateForm({ original, writable, onSaved, onEdit }: TemplateFormProps) {
  const [draft, setDraft] = useState(() => draftOf(original));
  const [local, setLocal] = useState<ReturnType<typeof declarationsOf>["issues"]>([]);
  const save = useAction();
  const set = (patch: Partial<Draft>) => {
    const next = { ...draft, ...patch };
    setDraft(next);
    onEdit?.({ body: next.body, format: next.format, variables: declarationsOf(next.variables).variables });
  };
  const syntax = save.error instanceof ApiError && save.error.code === "template_syntax" ? positionOf(save.error.details) : undefined;
  const issues = [...local, ...issuesOf(save.error)];
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const { variables, issues: found } = declarationsOf(draft.variables);
    setLocal(found);
    if (found.length > 0) return;
    const body = { name: draft.name.trim(), description: draft.description.trim() || null, format: draft.format, body: draft.body, variables };
    save.run("save", async () => {
      onSaved(original ? await templates.update(original.id, body) : await templates.create(body));
      return original ? "Template saved." : undefined;
    });
  };
  return html`
    <form class="resource-form" onSubmit=${onSubmit} aria-label=${original ? "Edit template" : "New template"}>
      <fieldset class="bare-fieldset" disabled=${!writable}>
        <div class="form-grid">
          <${TextField} label="Name" value=${draft.name} required autocomplete="off" onValue=${(name: string) => set({ name })} error=${issueAt(issues, "name")} />
          <${SelectField} label="Format" value=${draft.format} options=${REPORT_FORMATS} onValue=${(format: string) => set({ format: format as Template["format"] })} error=${issueAt(issues, "format")} />
          <${TextAreaField} label="Description" value=${draft.description} rows="2" onValue=${(description: string) => set({ description })}
            error=${issueAt(issues, "description")} />
        </div>
        <${CodeEditor} label="Body" value=${draft.body} onValue=${(body: string) => set({ body })} error=${syntax}
          hint="Liquid: {{ variable }}, {% if %}, {% for %}, filters. Besides its variables a template sees data, report.name and now." />
        <${VariablesEditor} drafts=${draft.variables} onChange=${(variables: VariableDraft[]) => set({ variables })} issues=${issues} />
      </fieldset>
      ${syntax ? null : html`<${FormError} error=${save.error} issues=${otherIssues(issuesOf(save.error), SHOWN)} />`}
      ${save.notice ? html`<${Notice}>${save.notice}</${Notice}>` : null}
      ${writable
        ? html`<div class="button-row">
            <button type="submit" class="button-primary" disabled=${save.busy !== undefined} aria-busy=${save.busy !== undefined}>
              ${save.busy ? "Saving…" : original ? "Save template" : "Create template"}
            </button>
          </div>`
        : html`<${Notice}>Changing templates needs the reports:write scope.</${Notice}>`}
    </form>
  `;
}

function EditTemplate({ id }: { id: string }) {
  const { can } = useSession();
  const template = useResource(() => templates.get(id), [id]);
  const [deleting, setDeleting] = useState(false);
  const [draft, setDraft] = useState<DraftTemplate>();
  const action = useAction();
  const t = template.data;
  const remove = () => action.run("delete", async () => (await templates.remove(id), navigate(href("/templates"))));
  return html`
    <section class="page">
      <p class="breadcrumb"><a href=${href("/templates")}>Templates</a> /</p>
      <h1>Template ${t ? t.name : html`<span class="mono">${id}</span>`}</h1>
      <${ErrorMessage} error=${template.error} />
      ${template.loading && !t ? html`<${Loading} what="the template" />` : null}
      ${t
        ? html`<div class="detail">
            <${TemplateForm} original=${t} writable=${can("reports:write")} onEdit=${setDraft}
              onSaved=${(saved: Template) => (template.update(() => saved), setDraft(undefined))} />
            <section aria-labelledby="preview-heading">
              <h2 id="preview-heading">Preview</h2>
              <${TemplatePreview} key=${t.updatedAt} template=${t} draft=${draft} />
            </section>
            ${can("reports:write")
              ? html`<div class="actions"><button type="button" class="button-danger" onClick=${() => (action.clear(), setDeleting(true))}>Delete template…</button></div>`
              : null}
          </div>`
        : null}
      <${ConfirmDialog} open=${deleting} title="Delete this template?" confirmLabel="Delete template" busy=${action.busy === "delete"}
        onConfirm=${remove} onClose=${() => setDeleting(false)}>
        <p>Template ${t?.name ?? id} is deleted. Reports rendered from it keep their versions.</p>
        <${ErrorMessage} error=${action.error} />
      </${ConfirmDialog}>
    </section>
  `;
}

function NewTemplate() {
  const { can } = useSession();
  return html`
    <section class="page">
      <p class="breadcrumb"><a href=${href("/templates")}>Templates</a> /</p>
      <h1>New template</h1>
      ${can("reports:write")
        ? html`<${TemplateForm} writable=${true} onSaved=${(t: Template) => navigate(href(`/templates/${encodeURIComponent(t.id)}`))} />`
        : html`<${Notice}>Creating templates needs the reports:write scope.</${Notice}>`}
    </section>
  `;
}

export function TemplateEditorPage({ params }: PageProps) {
  return params.id === "new" ? html`<${NewTemplate} />` : html`<${EditTemplate} id=${params.id!} />`;
}
