import { expect } from "vitest";
import { api, json, newTenant } from "./helpers";

export const MARKET_SCOPES = ["reports:read", "reports:write"];

/** A tenant (a fresh one unless given) with report scopes and a display name of its own (display names are unique platform-wide). */
export async function author(prefix = "Author", given?: { tenant: string; key: string; id: string }) {
  const tenant = given ?? (await newTenant(MARKET_SCOPES));
  const displayName = `${prefix} ${crypto.randomUUID().slice(0, 8)}`;
  await json(await api("/settings", { key: tenant.key, method: "PUT", body: { marketplace: { displayName } } }), 200);
  return { ...tenant, displayName };
}

/** A word no other test's listing contains, for searches and tags that must see only this test's listings. */
export const uniqueWord = (prefix = "w") => `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;

export async function createTemplate(key: string, fields: Record<string, unknown> = {}) {
  const body = {
    name: `tpl ${uniqueWord()}`,
    format: "markdown",
    variables: [{ name: "team", type: "string", required: true }],
    body: "# {{ team }}\n",
    ...fields,
  };
  return json(await api("/templates", { key, body }), 201);
}

export async function publish(key: string, body: Record<string, unknown>, status = 201) {
  return json(await api("/marketplace/templates", { key, body }), status);
}

/** Creates a template and publishes it; returns the listing and the source template. */
export async function published(key: string, listing: Record<string, unknown> = {}, template: Record<string, unknown> = {}) {
  const source = await createTemplate(key, template);
  return { source, listing: await publish(key, { templateId: source.id, ...listing }) };
}

export function base64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Bytes that begin with a format's signature (all the server checks), then `size` bytes in all. */
export function imageBytes(kind: "png" | "jpeg" | "gif", size = 64): Uint8Array {
  const magic = { png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], jpeg: [0xff, 0xd8, 0xff, 0xe0], gif: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61] }[kind];
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  bytes.set(magic);
  return bytes;
}

export async function listingIds(path: string, key: string): Promise<string[]> {
  const page = await json(await api(path, { key }), 200);
  expect(Array.isArray(page.items)).toBe(true);
  return page.items.map((item: { id: string }) => item.id);
}

/** Every page of a marketplace list, following nextCursor, `limit` at a time. */
export async function allPages(path: string, key: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page: { items: { id: string }[]; nextCursor: string | null } = await json(
      await api(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, { key }),
      200,
    );
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}
