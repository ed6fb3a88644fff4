import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { type Database, database } from "../db/client";
import { jobHandlers, rateLimitRules } from "../db/schema";
import { ConflictError, InvalidInputError, NotFoundError } from "../errors";
import { REFRESH_ACTION } from "../engine/rate-limits";
import { DEFAULT_BACKOFF } from "../engine/retry";
import { findJobDefinition } from "../jobs/index";
import { checkTenantEndpoint } from "../outbound/tenant-url";
import {
  type CreateHandler,
  DEFAULT_HANDLER_ATTEMPTS,
  DEFAULT_HANDLER_TIMEOUT_MS,
  type HandlerView,
  type UpdateHandler,
} from "../schemas/handler";
import { newSigningSecret, openSigningSecrets, previousSecretExpiresAt, rotatedSigningSecret, sealSigningSecret } from "../secrets/signing-secrets";
import { inputSchemaIssues } from "./input-schema";

export type HandlerRow = typeof jobHandlers.$inferSelect;
type RuleRow = typeof rateLimitRules.$inferSelect;

const sealedName = (type: string) => `handler:${type}`;

/** The secrets calls to the handler are signed with now. */
export function signingSecretsOf(env: Env, row: HandlerRow, now = Date.now()): Promise<string[]> {
  return openSigningSecrets(env, row.tenant, sealedName(row.type), row, now);
}

export function handlerView(row: HandlerRow, rule: Pick<RuleRow, "limit" | "windowMs" | "mode"> | undefined, now = Date.now()): HandlerView {
  return {
    type: row.type,
    url: row.url,
    description: row.description,
    inputSchema: row.inputSchema === null ? null : JSON.parse(row.inputSchema),
    retry: { maxAttempts: row.maxAttempts, backoff: JSON.parse(row.backoff) },
    timeoutMs: row.timeoutMs,
    concurrency: row.concurrencyLimit === null ? null : { limit: row.concurrencyLimit },
    rateLimit: rule ? { limit: rule.limit, windowMs: rule.windowMs, mode: rule.mode } : null,
    previousSecretExpiresAt: previousSecretExpiresAt(row, now),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

function checkFields(fields: Pick<UpdateHandler, "inputSchema">) {
  const issues = fields.inputSchema === undefined || fields.inputSchema === null ? [] : inputSchemaIssues(fields.inputSchema);
  if (issues.length > 0) throw new InvalidInputError("invalid_handler", "the input schema was not accepted", issues);
}

function ruleStatements(db: Database, tenant: string, type: string, rule: UpdateHandler["rateLimit"], now: number) {
  if (rule === undefined) return [];
  const where = and(eq(rateLimitRules.tenant, tenant), eq(rateLimitRules.action, type));
  if (rule === null) return [db.delete(rateLimitRules).where(where)];
  return [
    db.insert(rateLimitRules).values({ tenant, action: type, ...rule, updatedAt: now })
      .onConflictDoUpdate({ target: [rateLimitRules.tenant, rateLimitRules.action], set: { ...rule, updatedAt: now } }),
  ];
}

const ruleOf = (db: Database, tenant: string, type: string) =>
  db.select().from(rateLimitRules).where(and(eq(rateLimitRules.tenant, tenant), eq(rateLimitRules.action, type)));

/** Registers a job type served by the tenant's endpoint; answers it with its signing secret, shown only now. */
export async function createHandler(env: Env, tenant: string, body: CreateHandler, callbackBase: string, now = Date.now()) {
  if (findJobDefinition(body.type) || body.type === REFRESH_ACTION) {
    throw new ConflictError("handler_type_taken", `"${body.type}" is a built-in job type`, [{ path: "type", message: "a built-in job type" }]);
  }
  checkFields(body);
  await checkTenantEndpoint(env, body.url, "invalid_handler");
  const secret = newSigningSecret();
  const sealed = await sealSigningSecret(env, tenant, sealedName(body.type), secret);
  const db = database(env);
  const row: HandlerRow = {
    tenant, type: body.type, url: body.url, description: body.description ?? null,
    inputSchema: body.inputSchema === undefined ? null : JSON.stringify(body.inputSchema),
    maxAttempts: body.retry?.maxAttempts ?? DEFAULT_HANDLER_ATTEMPTS,
    backoff: JSON.stringify({ ...DEFAULT_BACKOFF, ...body.retry?.backoff }),
    timeoutMs: body.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
    concurrencyLimit: body.concurrency?.limit ?? null,
    callbackBase, ...sealed,
    previousCiphertext: null, previousIv: null, previousUntil: null, createdAt: now, updatedAt: now,
  };
  const [inserted] = await db.batch([
    db.insert(jobHandlers).values(row).onConflictDoNothing().returning({ type: jobHandlers.type }),
    ...ruleStatements(db, tenant, body.type, body.rateLimit, now),
  ]);
  if (inserted.length === 0) throw new ConflictError("handler_exists", `a handler for "${body.type}" is registered already: PATCH it instead`);
  return { handler: handlerView(row, body.rateLimit ?? undefined, now), secret };
}

export async function findHandler(db: Database, tenant: string, type: string): Promise<HandlerRow> {
  const row = await db.select().from(jobHandlers).where(and(eq(jobHandlers.tenant, tenant), eq(jobHandlers.type, type))).get();
  if (!row) throw new NotFoundError(`handler "${type}"`);
  return row;
}

export async function getHandler(db: Database, tenant: string, type: string): Promise<HandlerView> {
  const [row, [rule]] = await Promise.all([findHandler(db, tenant, type), ruleOf(db, tenant, type)]);
  return handlerView(row, rule);
}

/** A page of the tenant's handlers by type, after `after`; one more than `limit` tells a next page exists. */
export async function listHandlers(db: Database, tenant: string, after: string | undefined, limit: number): Promise<HandlerView[]> {
  const rows = await db.select().from(jobHandlers)
    .where(and(eq(jobHandlers.tenant, tenant), after === undefined ? undefined : gt(jobHandlers.type, after)))
    .orderBy(asc(jobHandlers.type)).limit(limit + 1);
  const rules = rows.length === 0 ? [] : await db.select().from(rateLimitRules)
    .where(and(eq(rateLimitRules.tenant, tenant), inArray(rateLimitRules.action, rows.map((r) => r.type))));
  const byType = new Map(rules.map((r) => [r.action, r]));
  return rows.map((row) => handlerView(row, byType.get(row.type)));
}

export async function updateHandler(env: Env, tenant: string, type: string, patch: UpdateHandler, callbackBase: string, now = Date.now()) {
  const db = database(env);
  const row = await findHandler(db, tenant, type);
  checkFields(patch);
  await checkTenantEndpoint(env, patch.url, "invalid_handler");
  const set: Partial<HandlerRow> = {
    callbackBase,
    updatedAt: Math.max(now, row.updatedAt),
    ...(patch.url === undefined ? {} : { url: patch.url }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.inputSchema === undefined ? {} : { inputSchema: patch.inputSchema === null ? null : JSON.stringify(patch.inputSchema) }),
    ...(patch.retry === undefined ? {} : { maxAttempts: patch.retry.maxAttempts, backoff: JSON.stringify({ ...DEFAULT_BACKOFF, ...patch.retry.backoff }) }),
    ...(patch.timeoutMs === undefined ? {} : { timeoutMs: patch.timeoutMs }),
    ...(patch.concurrency === undefined ? {} : { concurrencyLimit: patch.concurrency?.limit ?? null }),
  };
  await db.batch([
    db.update(jobHandlers).set(set).where(and(eq(jobHandlers.tenant, tenant), eq(jobHandlers.type, type))),
    ...ruleStatements(db, tenant, type, patch.rateLimit, now),
  ]);
  return getHandler(db, tenant, type);
}

/** Unregisters a handler and its rate limit. Its jobs still waiting fail when they come to run. */
export async function deleteHandler(db: Database, tenant: string, type: string): Promise<void> {
  const [removed] = await db.batch([
    db.delete(jobHandlers).where(and(eq(jobHandlers.tenant, tenant), eq(jobHandlers.type, type))).returning({ type: jobHandlers.type }),
    db.delete(rateLimitRules).where(and(eq(rateLimitRules.tenant, tenant), eq(rateLimitRules.action, type))),
  ]);
  if (removed.length === 0) throw new NotFoundError(`handler "${type}"`);
}

/** A new signing secret, shown only now; calls are signed with the old one too for a day. */
export async function rotateSecret(env: Env, tenant: string, type: string, now = Date.now()) {
  const db = database(env);
  const row = await findHandler(db, tenant, type);
  const { secret, previousUntil, set } = await rotatedSigningSecret(env, tenant, sealedName(type), row, now);
  await db.update(jobHandlers)
    .set({ ...set, updatedAt: Math.max(now, row.updatedAt) })
    .where(and(eq(jobHandlers.tenant, tenant), eq(jobHandlers.type, type)));
  return { secret, previousSecretExpiresAt: new Date(previousUntil).toISOString() };
}
