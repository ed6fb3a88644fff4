#!/usr/bin/env node
// TypeScript types of the Edge Jobs API from its OpenAPI document, by openapi-typescript, for
// openapi-fetch: `node scripts/openapi-types/generate.mjs http://localhost:8787/api/v1/openapi.json api.d.ts`
// (or a saved document's path; no second argument prints them). A package of its own (package.json
// beside this file, installed by the project's `npm install`) because openapi-typescript builds its
// output with TypeScript 5's compiler API, which the project's TypeScript 7 does not have.
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString, stringToAST } from "openapi-typescript";

/** The characters of a job type's name (src/schemas/handler.ts `HandlerType`). */
const NAME_CHARACTERS = [..."abcdefghijklmnopqrstuvwxyz0123456789._-"];

/**
 * A name that is none of `names`. JSON Schema says it with `not: {enum}`; TypeScript has no negated
 * types, so it is spelled as every way a name can leave the tree of those names: a proper prefix
 * of one, or a prefix followed by a character no name continues it with.
 */
export function noneOf(names) {
  const next = new Map();
  for (const name of names) {
    for (let i = 0; i <= name.length; i++) {
      const prefix = name.slice(0, i);
      if (!next.has(prefix)) next.set(prefix, new Set());
      if (i < name.length) next.get(prefix).add(name[i]);
    }
  }
  const members = [];
  for (const [prefix, followers] of next) {
    if (prefix !== "" && !names.includes(prefix)) members.push(JSON.stringify(prefix));
    const others = NAME_CHARACTERS.filter((c) => !followers.has(c)).map((c) => JSON.stringify(c));
    members.push(`\`${prefix}\${${others.join(" | ")}}\${string}\``);
  }
  return members.join(" | ");
}

/** openapi-typescript ignores `not`: a string schema excluding job type names gets the type that does. */
function transform(schema) {
  const names = schema.not?.enum;
  const nameLike = Array.isArray(names) && names.every((n) => typeof n === "string" && /^[a-z0-9._-]+$/.test(n));
  if (schema.type !== "string" || !nameLike) return undefined;
  return stringToAST(`type Name = ${noneOf(names)};`)[0].type;
}

/** The types of the document (an object, a URL, or a path), as the text of a `.d.ts` file. */
export async function openApiTypes(document) {
  const source = typeof document === "string" ? (/^https?:/.test(document) ? new URL(document) : pathToFileURL(document)) : document;
  // A default is what the server fills in: a request may leave the field out.
  return astToString(await openapiTS(source, { transform, defaultNonNullable: false }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [from, to] = process.argv.slice(2);
  if (!from) {
    console.error("usage: generate.mjs <document URL or path> [out.d.ts]");
    process.exit(2);
  }
  const types = await openApiTypes(from);
  if (to) writeFileSync(to, types);
  else process.stdout.write(types);
}
