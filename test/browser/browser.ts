import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { expect } from "vitest";
import { type DevServer, E2E_ADMIN_KEY } from "../e2e/dev-server";

/** Debian's Chromium, which `.ci/run` installs; CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Without a browser the browser tests cannot run: CI installs one and must run them, so there they
 * fail; elsewhere (a newcomer's `npm test` before installing Chromium) they are skipped with a note.
 */
export const browserMissing = !existsSync(CHROMIUM);
if (browserMissing) {
  const note = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI) throw new Error(`the browser tests need a browser: ${note}`);
  console.warn(`skipping the dashboard's browser tests: ${note}`);
}

/** Where each page's screenshot is saved: a test artefact, not committed. */
export const SCREENSHOTS = join(process.cwd(), "test-results", "dashboard");

/** The flags a headless Chromium needs on a machine with a closed network and no sandbox. */
const ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

export interface Api {
  (path: string, init?: { method?: string; body?: unknown; key?: string }): Promise<{ status: number; body: any }>;
}

/** Calls the dev server's API directly, as an application would (the admin key unless `key`). */
export function apiOf(server: DevServer): Api {
  return async (path, init = {}) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { authorization: `Bearer ${init.key ?? E2E_ADMIN_KEY}`, "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

/** A tenant with a key holding every tenant scope. */
export async function newTenant(api: Api, scopes = ["jobs:read", "jobs:write", "reports:read", "reports:write", "admin"]) {
  const tenant = `ui-${Math.random().toString(36).slice(2, 8)}`;
  const created = await api("/keys", { body: { name: "browser test", tenant, scopes } });
  expect(created.status).toBe(201);
  return { tenant, key: created.body.key as string };
}

/** Signs in through the dashboard's own form, as a person does. */
export async function signIn(page: Page, server: DevServer, key: string) {
  await page.goto(`${server.url}/dashboard`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => page.getByRole("button", { name: "Sign out" }).isVisible(), { timeout: 15_000 }).toBe(true);
}

/** Saves the page as `name`.png among the test artefacts. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const AXE = readFileSync(join(process.cwd(), "node_modules", "axe-core", "axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page and answers its serious and critical violations (the page's own CSP
 * allows no injected script, so the context that runs it bypasses CSP).
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ["violations"] })).violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** A browser context for one person: its own cookies, a desktop viewport unless told. */
export function personContext(browser: Browser, options: { colorScheme?: "light" | "dark"; width?: number } = {}): Promise<BrowserContext> {
  const width = options.width ?? 1280;
  return browser.newContext({
    bypassCSP: true,
    colorScheme: options.colorScheme ?? "light",
    viewport: { width, height: width < 600 ? 800 : 900 },
  });
}
