import { NonRetryableError } from "../engine/errors";
import type { ReportFormat } from "../reports/formats";
import { ReportRenderError, convertText, renderText } from "../reports/render";
import { storeVersion } from "../reports/store";

/**
 * The report `file.analyze` renders from a profile (the template's `data`), as the tenant's own
 * templates are rendered: Markdown for the Markdown, text, PDF and Word formats, its HTML and CSV
 * equivalents, and the profile itself as JSON.
 */

const MARKDOWN = String.raw`# Profile of {{ data.name | replace: "|", "\\|" }}

{{ data.rows }} rows ({{ data.rejected }} unreadable) and {{ data.columns.size }} columns in {{ data.bytes }} bytes of {{ data.format | upcase }}.{% if data.columnsTruncated %} Only the first {{ data.columns.size }} columns were profiled.{% endif %}

| Column | Type | Nulls | Distinct | Min | Max | Mean |
|---|---|---:|---:|---:|---:|---:|
{% for c in data.columns %}| {{ c.name | replace: "|", "\\|" }} | {{ c.type }} | {{ c.nulls }} | {% unless c.distinctExact %}~{% endunless %}{{ c.distinct }} | {{ c.min }} | {{ c.max }} | {% if c.mean != nil %}{{ c.mean | round: 4 }}{% endif %} |
{% endfor %}
## Most frequent values
{% for c in data.columns %}
### {{ c.name }}

{% for t in c.top %}- {{ t.value | json }}: {% unless c.topExact %}at least {% endunless %}{{ t.count }}
{% else %}- (no values)
{% endfor %}{% endfor %}`;

const HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Profile of {{ data.name }}</title></head><body>
<h1>Profile of {{ data.name }}</h1>
<p>{{ data.rows }} rows ({{ data.rejected }} unreadable) and {{ data.columns.size }} columns in {{ data.bytes }} bytes of {{ data.format | upcase }}.</p>
<table>
<thead><tr><th>Column</th><th>Type</th><th>Nulls</th><th>Distinct</th><th>Min</th><th>Max</th><th>Mean</th><th>Most frequent</th></tr></thead>
<tbody>
{% for c in data.columns %}<tr><td>{{ c.name }}</td><td>{{ c.type }}</td><td>{{ c.nulls }}</td><td>{% unless c.distinctExact %}~{% endunless %}{{ c.distinct }}</td><td>{{ c.min }}</td><td>{{ c.max }}</td><td>{% if c.mean != nil %}{{ c.mean | round: 4 }}{% endif %}</td><td>{% for t in c.top %}{{ t.value | json }} ({{ t.count }}){% unless forloop.last %}, {% endunless %}{% endfor %}</td></tr>
{% endfor %}</tbody>
</table>
</body></html>
`;

const CSV = `column,type,nulls,distinct,distinct_exact,min,max,mean
{% for c in data.columns %}"{{ c.name | replace: '"', '""' }}",{{ c.type }},{{ c.nulls }},{{ c.distinct }},{{ c.distinctExact }},{{ c.min }},{{ c.max }},{{ c.mean }}
{% endfor %}`;

const JSON_BODY = "{{ data | json }}";

/** The template body for a profile report in `format`. */
export function profileTemplate(format: ReportFormat): string {
  if (format === "html") return HTML;
  if (format === "csv") return CSV;
  if (format === "json") return JSON_BODY;
  return MARKDOWN;
}

/** Renders a profile into a version of the report `name` (created if new); the job that runs again finds its version again. */
export async function storeProfileReport(env: Env, scope: { tenant: string; jobId: string }, profile: unknown, report: { name: string; format: ReportFormat }) {
  try {
    const input = { body: profileTemplate(report.format), format: report.format, variables: {}, data: profile, reportName: report.name };
    const rendered = await convertText(await renderText(input), report.format, report.name);
    const stored = await storeVersion(env, {
      tenant: scope.tenant,
      target: { name: report.name },
      format: report.format,
      bytes: rendered.bytes,
      jobId: scope.jobId,
      onDuplicate: "skip",
    });
    if (!stored) throw new Error(`report ${report.name} was not stored`);
    const { version } = stored;
    return {
      reportId: stored.report.id,
      reportName: stored.report.name,
      version: version.version,
      format: report.format,
      duplicate: stored.duplicate,
      contentUrl: `/api/v1/reports/${stored.report.id}/versions/${version.version}`,
    };
  } catch (err) {
    // A profile too large for a report's limits (a PDF's, a Word document's) fails the job: it will not shrink.
    if (err instanceof ReportRenderError) throw new NonRetryableError(`the profile report could not be made: ${err.message}`);
    throw err;
  }
}
