import { and, eq } from "drizzle-orm";
import { database } from "../db/client";
import { templates } from "../db/schema";
import { iso } from "../engine/job-view";
import { InvalidInputError } from "../errors";
import { checkTemplate } from "./liquid";
import { type VariableDeclaration, declarationIssues } from "./variables";

/** A saved template as the drizzle schema reads it. */
export type TemplateRow = typeof templates.$inferSelect;

export function toTemplate(row: TemplateRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    format: row.format,
    variables: JSON.parse(row.variables) as VariableDeclaration[],
    body: row.body,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** Refuses a template that does not parse (with its line and column) or declares variables badly. */
export function assertValidTemplate(body: string, variables: VariableDeclaration[]): void {
  const syntax = checkTemplate(body);
  if (syntax) {
    throw new InvalidInputError("template_syntax", `the template does not parse: line ${syntax.line}, column ${syntax.column}: ${syntax.message}`, syntax);
  }
  const issues = declarationIssues(variables);
  if (issues.length > 0) throw new InvalidInputError("invalid_variables", "the declared variables are not valid", issues);
}

export async function findTemplate(env: Env, tenant: string, id: string): Promise<TemplateRow | null> {
  const row = await database(env)
    .select()
    .from(templates)
    .where(and(eq(templates.id, id), eq(templates.tenant, tenant)))
    .get();
  return row ?? null;
}
