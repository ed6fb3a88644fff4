import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { type Database, database } from "../db/client";
import { secrets } from "../db/schema";
import { InvalidInputError, NotFoundError } from "../errors";
import { NonRetryableError } from "../engine/errors";
import { assertRoom } from "../quotas/check";
import { openSecret, sealSecret, secretsKey } from "./cipher";
import { SECRET_MARKER, findReferences } from "./references";

type SecretRow = typeof secrets.$inferSelect;
/** What anyone may see of a secret: never its value. */
export type SecretInfo = Pick<SecretRow, "name" | "createdAt" | "updatedAt">;

const INFO = { name: secrets.name, createdAt: secrets.createdAt, updatedAt: secrets.updatedAt };

/** Seals and stores a secret, replacing the value of one with that name; `created` tells which. */
export async function putSecret(env: Env, tenant: string, name: string, value: string, now: number): Promise<SecretInfo & { created: boolean }> {
  const sealed = await sealSecret(await secretsKey(env), tenant, name, value);
  const db = database(env);
  const stored = await db.select({ name: secrets.name }).from(secrets).where(and(eq(secrets.tenant, tenant), eq(secrets.name, name))).get();
  if (!stored) await assertRoom(env, tenant, "secrets", 1);
  const [before, [after]] = await db.batch([
    db.select({ name: secrets.name }).from(secrets).where(and(eq(secrets.tenant, tenant), eq(secrets.name, name))),
    db.insert(secrets)
      .values({ tenant, name, ...sealed, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: [secrets.tenant, secrets.name], set: { ...sealed, updatedAt: sql`max(${secrets.updatedAt}, ${now})` } })
      .returning(INFO),
  ]);
  return { ...after!, created: before.length === 0 };
}

/** A page of the tenant's secrets by name, after `after`; one more than `limit` tells a next page exists. */
export function listSecrets(db: Database, tenant: string, after: string | undefined, limit: number): Promise<SecretInfo[]> {
  return db
    .select(INFO)
    .from(secrets)
    .where(and(eq(secrets.tenant, tenant), after === undefined ? undefined : gt(secrets.name, after)))
    .orderBy(asc(secrets.name))
    .limit(limit + 1);
}

export async function deleteSecret(db: Database, tenant: string, name: string): Promise<void> {
  const removed = await db.delete(secrets).where(and(eq(secrets.tenant, tenant), eq(secrets.name, name))).returning({ name: secrets.name });
  if (removed.length === 0) throw new NotFoundError(`secret "${name}"`);
}

/** D1 binds at most 100 parameters to a statement: names are looked up this many at a time. */
const NAMES_PER_QUERY = 90;

/** The tenant's sealed secrets among `names`. */
async function sealedSecrets(db: Database, tenant: string, names: string[]): Promise<Pick<SecretRow, "name" | "ciphertext" | "iv">[]> {
  const pages = [];
  for (let i = 0; i < names.length; i += NAMES_PER_QUERY) {
    pages.push(
      await db
        .select({ name: secrets.name, ciphertext: secrets.ciphertext, iv: secrets.iv })
        .from(secrets)
        .where(and(eq(secrets.tenant, tenant), inArray(secrets.name, names.slice(i, i + NAMES_PER_QUERY)))),
    );
  }
  return pages.flat();
}

/**
 * Refuses a submission whose jobs name a secret the tenant does not have (the references were
 * checked for form when each job's input was validated). `inputs` are the jobs' stored inputs.
 */
export async function refuseUnknownSecrets(env: Env, tenant: string, inputs: string[]): Promise<void> {
  const wanted = inputs.flatMap((text, index) =>
    text.includes(`"${SECRET_MARKER}"`) ? findReferences(JSON.parse(text)).references.map((r) => ({ ...r, index })) : [],
  );
  if (wanted.length === 0) return;
  const known = new Set((await sealedSecrets(database(env), tenant, [...new Set(wanted.map((r) => r.name))])).map((r) => r.name));
  const missing = wanted.filter((r) => !known.has(r.name));
  if (missing.length === 0) return;
  const prefix = (index: number) => (inputs.length > 1 ? `jobs.${index}.` : "");
  throw new InvalidInputError(
    "unknown_secret",
    `no secret named "${missing[0]!.name}"${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ""}: store it with PUT /api/v1/secrets/{name} first`,
    missing.map((r) => ({ path: [`${prefix(r.index)}input`, ...r.path].join("."), message: `no secret named "${r.name}"` })),
  );
}

/** The values of the tenant's secrets `names`, for an attempt about to run. */
export async function revealSecrets(env: Env, tenant: string, names: string[]): Promise<Map<string, string>> {
  const rows = await sealedSecrets(database(env), tenant, names);
  const byName = new Map(rows.map((r) => [r.name, r]));
  const key = await secretsKey(env);
  const values = new Map<string, string>();
  for (const name of names) {
    const row = byName.get(name);
    if (!row) throw new NonRetryableError(`secret "${name}" not found: it was deleted after the job was submitted`);
    try {
      values.set(name, await openSecret(key, tenant, name, row));
    } catch (err) {
      console.error(`secret "${name}" of ${tenant} does not decrypt`, err);
      throw new NonRetryableError(`secret "${name}" cannot be decrypted (was SECRETS_KEY changed?): store it again`);
    }
  }
  return values;
}
