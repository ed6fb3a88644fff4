import { eq } from "drizzle-orm";
import { marketplaceAuthors } from "../db/schema";
import { ConflictError } from "../errors";
import { marketplaceDb } from "./db";

/** How display names are compared: names differing only in case, width or spacing are one name. */
export function nameKey(displayName: string): string {
  return displayName.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

/** Whether `err` is the unique index of `table.column` refusing a write (drizzle wraps D1's error as its cause). */
export function violates(err: unknown, column: string): boolean {
  return err instanceof Error && `${err.message} ${String(err.cause ?? "")}`.includes(`UNIQUE constraint failed: ${column}`);
}

export async function displayNameOf(env: Env, tenant: string): Promise<string | null> {
  const row = await marketplaceDb(env)
    .select({ displayName: marketplaceAuthors.displayName })
    .from(marketplaceAuthors)
    .where(eq(marketplaceAuthors.tenant, tenant))
    .get();
  return row?.displayName ?? null;
}

/** Sets (or changes) the tenant's display name; another tenant's name, in any case, is refused. */
export async function setDisplayName(env: Env, tenant: string, displayName: string, now = Date.now()): Promise<void> {
  const row = { tenant, displayName, nameKey: nameKey(displayName), updatedAt: now };
  try {
    await marketplaceDb(env)
      .insert(marketplaceAuthors)
      .values(row)
      .onConflictDoUpdate({ target: marketplaceAuthors.tenant, set: { displayName: row.displayName, nameKey: row.nameKey, updatedAt: now } })
      .run();
  } catch (err) {
    if (violates(err, "marketplace_authors.name_key")) throw new ConflictError("display_name_taken", `the display name "${displayName}" is taken`);
    throw err;
  }
}

/** The tenant whose display name is `author` (compared as `nameKey` does), or null. */
export async function tenantNamed(env: Env, author: string): Promise<string | null> {
  const row = await marketplaceDb(env)
    .select({ tenant: marketplaceAuthors.tenant })
    .from(marketplaceAuthors)
    .where(eq(marketplaceAuthors.nameKey, nameKey(author)))
    .get();
  return row?.tenant ?? null;
}
