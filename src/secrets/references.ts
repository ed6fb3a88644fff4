import { z } from "@hono/zod-openapi";
import { isObject } from "./json-walk";

/**
 * Job input names a secret as `{"$secret": "name"}` wherever a string may stand. The stored input
 * keeps the reference; the value replaces it only in the running attempt (see `reveal.ts`).
 */
export const SECRET_MARKER = "$secret";
export const SecretName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, "1 to 64 letters, digits, _ . and -, not starting with . or -");

/** What a reference stands for while its job's input is validated at submit. */
const PLACEHOLDER = "https://secret.invalid/";

type Path = (string | number)[];

export interface Reference {
  path: Path;
  name: string;
}

export interface Issue {
  path: Path;
  message: string;
}

const isReferenceLike = (value: unknown): value is Record<string, unknown> => isObject(value) && Object.hasOwn(value, SECRET_MARKER);

/** The secret a well-formed reference names, or what is wrong with a malformed one. */
function readReference(value: Record<string, unknown>, path: Path): Reference | Issue {
  const name = value[SECRET_MARKER];
  const malformed = `a secret reference is {"${SECRET_MARKER}": "<name>"} and nothing else`;
  if (Object.keys(value).length !== 1) return { path, message: malformed };
  if (typeof name !== "string") return { path, message: `${malformed}; the name is a string` };
  const parsed = SecretName.safeParse(name);
  if (!parsed.success) return { path: [...path, SECRET_MARKER], message: `secret name: ${parsed.error.issues[0]!.message}` };
  return { path, name };
}

interface Visit {
  value: unknown;
  parent?: Visit;
  key?: string | number;
}

function pathOf(visit: Visit): Path {
  const path: Path = [];
  for (let at: Visit | undefined = visit; at?.parent; at = at.parent) path.push(at.key!);
  return path.reverse();
}

/** Every reference in `input` in document order, and what is wrong with the malformed ones. */
export function findReferences(input: unknown): { references: Reference[]; issues: Issue[] } {
  const references: Reference[] = [];
  const issues: Issue[] = [];
  const stack: Visit[] = [{ value: input }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value } = visit;
    const children: Visit[] = [];
    if (isReferenceLike(value)) {
      const found = readReference(value, pathOf(visit));
      if ("name" in found) references.push(found);
      else issues.push(found);
    } else if (Array.isArray(value)) value.forEach((child, key) => children.push({ value: child, parent: visit, key }));
    else if (isObject(value)) for (const [key, child] of Object.entries(value)) children.push({ value: child, parent: visit, key });
    stack.push(...children.reverse());
  }
  return { references, issues };
}

/**
 * A copy of `input` with each of `references` (found in it by `findReferences`) replaced by
 * `replacement(name)`. Only the objects and arrays on the way to a reference are copied.
 */
export function replaceReferences(input: unknown, references: Reference[], replacement: (name: string) => unknown): unknown {
  const copies = new WeakSet<object>();
  const copyOf = (container: object) => {
    if (copies.has(container)) return container;
    const copy = Array.isArray(container) ? [...container] : { ...container };
    copies.add(copy);
    return copy;
  };
  let root = input;
  for (const { path, name } of references) {
    if (path.length === 0) {
      root = replacement(name);
      continue;
    }
    root = copyOf(root as object);
    let holder = root as Record<string | number, unknown>;
    for (const part of path.slice(0, -1)) {
      holder[part] = copyOf(holder[part] as object);
      holder = holder[part] as Record<string | number, unknown>;
    }
    holder[path[path.length - 1]!] = replacement(name);
  }
  return root;
}

const samePath = (a: readonly PropertyKey[], b: Path) => a.length === b.length && a.every((part, i) => part === b[i]);

function zodFailure(issues: Issue[]) {
  return { success: false as const, error: new z.ZodError(issues.map((i) => ({ code: "custom" as const, path: i.path, message: i.message, input: undefined }))) };
}

/**
 * Validates a job's input with each reference standing in for a string, and gives back the parsed
 * input with the references where they stood. A reference may not stand where the type's schema
 * needs a particular string (an enum, a pattern) or changes the string: its value is known only
 * when the job runs.
 */
export function parseJobInput(schema: z.ZodType, input: unknown): z.ZodSafeParseResult<unknown> {
  const { references, issues } = findReferences(input);
  if (issues.length > 0) return zodFailure(issues);
  if (references.length === 0) return schema.safeParse(input);
  const parsed = schema.safeParse(replaceReferences(input, references, () => PLACEHOLDER));
  if (!parsed.success) {
    const standsAt = (path: PropertyKey[]) => references.some((r) => samePath(path, r.path));
    const issues = parsed.error.issues.map((i) => (standsAt(i.path) ? { ...i, message: `${i.message} (a secret reference cannot stand here)` } : i));
    return { success: false, error: new z.ZodError(issues) };
  }
  const misplaced: Issue[] = [];
  for (const reference of references) {
    if (!restoreReference(parsed.data, reference)) misplaced.push({ path: reference.path, message: "a secret reference cannot stand here: the job type changes or drops this value" });
  }
  return misplaced.length > 0 ? zodFailure(misplaced) : parsed;
}

/** Puts the reference back where its placeholder came through validation unchanged. */
function restoreReference(data: unknown, { path, name }: Reference): boolean {
  if (path.length === 0) return false;
  let parent: unknown = data;
  for (const part of path.slice(0, -1)) parent = isObject(parent) || Array.isArray(parent) ? (parent as Record<string | number, unknown>)[part] : undefined;
  const last = path[path.length - 1]!;
  const holder = parent as Record<string | number, unknown> | undefined;
  if (!(isObject(holder) || Array.isArray(holder)) || holder[last] !== PLACEHOLDER) return false;
  holder[last] = { [SECRET_MARKER]: name };
  return true;
}
