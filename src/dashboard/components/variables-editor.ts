// A template's declared variables, one row each. A default is typed as text: strings and dates as
// they are, the other types as JSON (3, true, ["a"]).
import { html } from "../html";
import { type TemplateVariable, VARIABLE_TYPES } from "../resource-types";
import { CheckboxField, type Issue, SelectField, TextField, issueAt } from "./form-field";

export interface VariableDraft {
  name: string;
  type: TemplateVariable["type"];
  required: boolean;
  default: string;
  description: string;
}

const AS_TEXT: readonly TemplateVariable["type"][] = ["string", "date"];

export function variableDrafts(variables: TemplateVariable[]): VariableDraft[] {
  return variables.map((v) => ({
    name: v.name,
    type: v.type,
    required: v.required,
    default: v.default === undefined ? "" : AS_TEXT.includes(v.type) ? String(v.default) : JSON.stringify(v.default),
    description: v.description ?? "",
  }));
}

/** The declarations to send, and the defaults that are not valid JSON (at the paths the API would name). */
export function declarationsOf(drafts: VariableDraft[]): { variables: TemplateVariable[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const variables = drafts.map((d, i) => {
    const v: TemplateVariable = { name: d.name.trim(), type: d.type, required: d.required };
    if (d.description.trim()) v.description = d.description.trim();
    if (d.default !== "") {
      if (AS_TEXT.includes(d.type)) v.default = d.default;
      else {
        try {
          v.default = JSON.parse(d.default);
        } catch {
          issues.push({ path: `variables.${i}.default`, message: `Write the default (of type ${d.type}) as JSON, e.g. ${d.type === "boolean" ? "true" : d.type === "array" ? '["a", "b"]' : d.type === "object" ? '{"a": 1}' : "3"}.` });
        }
      }
    }
    return v;
  });
  return { variables, issues };
}

interface VariablesEditorProps {
  drafts: VariableDraft[];
  onChange: (drafts: VariableDraft[]) => void;
  issues: Issue[];
}

export function VariablesEditor({ drafts, onChange, issues }: VariablesEditorProps) {
  const change = (i: number, patch: Partial<VariableDraft>) => onChange(drafts.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const add = () => onChange([...drafts, { name: "", type: "string", required: false, default: "", description: "" }]);
  return html`
    <fieldset class="form-section">
      <legend>Variables</legend>
      ${drafts.length === 0 ? html`<p class="muted">No variables: the template sees only data, report.name and now.</p>` : null}
      ${drafts.map((d, i) => {
        const at = `variables.${i}`;
        return html`
          <fieldset class="variable-row" key=${i}>
            <legend>Variable ${i + 1}${d.name ? `: ${d.name}` : ""}</legend>
            <div class="form-grid">
              <${TextField} label="Variable name" value=${d.name} required autocomplete="off" spellcheck="false" onValue=${(name: string) => change(i, { name })}
                error=${issueAt(issues, `${at}.name`)} />
              <${SelectField} label="Type" value=${d.type} options=${VARIABLE_TYPES} onValue=${(type: string) => change(i, { type: type as VariableDraft["type"] })}
                error=${issueAt(issues, `${at}.type`)} />
              <${TextField} label="Default" value=${d.default} onValue=${(value: string) => change(i, { default: value })}
                error=${issueAt(issues, `${at}.default`)} />
              <${TextField} label="Variable description" value=${d.description} onValue=${(description: string) => change(i, { description })}
                error=${issueAt(issues, `${at}.description`)} />
              <${CheckboxField} label="Required" checked=${d.required} onChecked=${(required: boolean) => change(i, { required })} />
            </div>
            <button type="button" class="button-danger" onClick=${() => onChange(drafts.filter((_, j) => j !== i))}>
              Remove variable ${i + 1}
            </button>
          </fieldset>
        `;
      })}
      <button type="button" onClick=${add}>Add variable</button>
    </fieldset>
  `;
}
