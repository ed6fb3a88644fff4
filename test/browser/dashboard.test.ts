import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_ADMIN_KEY, startDevServer } from "../e2e/dev-server";
import { type Api, apiOf, browserMissing, launch, newTenant, personContext, screenshot, seriousViolations, signIn } from "./browser";

let server: DevServer;
let browser: Browser;
let api: Api;
let tenant: { tenant: string; key: string };
let context: BrowserContext;
let page: Page;

const at = (path: string) => `${server.url}/dashboard${path}`;

/** Polls the API until the job is in one of `statuses`. */
async function jobReaches(id: string, statuses: string[], timeoutMs = 30_000) {
  await expect.poll(async () => (await api(`/jobs/${id}`, { key: tenant.key })).body.status, { timeout: timeoutMs }).toSatisfy((s: string) => statuses.includes(s));
}

describe.skipIf(browserMissing)("the dashboard in a real browser", () => {
  beforeAll(async () => {
    server = await startDevServer();
    api = apiOf(server);
    browser = await launch();
    tenant = await newTenant(api);
    context = await personContext(browser);
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("signs in with an API key through the form, into an HttpOnly cookie", async () => {
    await page.goto(at(""));
    await screenshot(page, "sign-in");
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel("API key").fill("ejk_not-a-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("unknown or revoked API key");
    await signIn(page, server, tenant.key);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "ej_session", httpOnly: true, sameSite: "Strict" });
    expect(cookie!.value).not.toContain(tenant.key);
  });

  it("shows a job submitted through the API appear and its progress bar move, without reloading", async () => {
    await page.goto(at("/jobs"));
    await expect.poll(() => page.getByRole("heading", { name: "Jobs", level: 1 }).isVisible()).toBe(true);
    await page.waitForLoadState("networkidle");
    let reloaded = false;
    page.on("framenavigated", (frame) => (reloaded ||= frame === page.mainFrame()));
    const job = (await api("/jobs", { key: tenant.key, body: { type: "simulate", input: { steps: 12, stepMs: 800 } } })).body;
    const bar = page.getByRole("progressbar", { name: `Progress of job ${job.id}` });
    await expect.poll(() => bar.isVisible(), { timeout: 15_000 }).toBe(true);
    const first = Number(await bar.getAttribute("aria-valuenow"));
    await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 20_000 }).toBeGreaterThan(first);
    await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 20_000 }).toBeGreaterThanOrEqual(25);
    expect(reloaded).toBe(false);
    await screenshot(page, "jobs");
    expect(await seriousViolations(page)).toEqual([]);

    // Open it and cancel it.
    await page.getByRole("link", { name: job.id }).click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain(job.id);
    await page.getByRole("button", { name: "Cancel job" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel job" }).click();
    await jobReaches(job.id, ["cancelled"]);
    await expect.poll(() => page.locator(".badge-cancelled").first().isVisible(), { timeout: 10_000 }).toBe(true);
    await screenshot(page, "job-detail");
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("bulk-retries the failed jobs matching a filter, after showing how many", async () => {
    const failing = { type: "simulate", input: { steps: 1, stepMs: 0, failUntilAttempt: 2 }, maxAttempts: 1, tags: ["flaky"] };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api("/jobs", { key: tenant.key, body: failing })).body.id);
    for (const id of ids) await jobReaches(id, ["failed"]);
    await page.goto(at("/jobs?status=failed&tag=flaky"));
    await expect.poll(() => page.getByRole("progressbar").count(), { timeout: 15_000 }).toBe(3);
    await page.getByRole("button", { name: "Retry all matching…" }).click();
    const dialog = page.getByRole("dialog");
    await expect.poll(() => dialog.getByRole("button", { name: "Retry 3 jobs" }).isVisible(), { timeout: 10_000 }).toBe(true);
    await screenshot(page, "bulk-confirm");
    await dialog.getByRole("button", { name: "Retry 3 jobs" }).click();
    await expect.poll(() => page.getByText(/Changed 3 of 3 matched/).isVisible(), { timeout: 30_000 }).toBe(true);
    // Attempt 1 of the new series succeeds (failUntilAttempt 2 counts attempts from 1 again).
    for (const id of ids) await jobReaches(id, ["queued", "running", "completed", "failed"]);
    expect((await api(`/jobs/${ids[0]}/attempts`, { key: tenant.key })).status).toBe(200);
  });

  it("refuses a schedule with an invalid cron, showing why beside the field, and previews a valid one", async () => {
    await page.goto(at("/schedules/new"));
    const cron = page.getByRole("textbox", { name: "Cron" });
    await cron.fill("61 * * * *");
    await expect.poll(() => cron.getAttribute("aria-invalid"), { timeout: 10_000 }).toBe("true");
    const describedBy = (await cron.getAttribute("aria-describedby"))!.split(" ");
    const explanations = await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).textContent()));
    expect(explanations.join(" ")).toMatch(/cron|minute|61/i);
    await page.getByRole("textbox", { name: "Name" }).fill("nightly");
    await page.getByRole("textbox", { name: "Job type" }).fill("simulate");
    await page.getByRole("button", { name: "Create schedule" }).click();
    await expect.poll(() => page.getByText("The schedule was not saved").isVisible()).toBe(true);
    expect((await api("/schedules", { key: tenant.key })).body.items).toEqual([]);
    await screenshot(page, "schedule-invalid-cron");

    await cron.fill("0 3 * * *");
    await expect.poll(() => cron.getAttribute("aria-invalid"), { timeout: 10_000 }).not.toBe("true");
    await expect.poll(() => page.getByRole("list", { name: "Next runs" }).getByRole("listitem").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
  });

  it("shows the diff between two versions of a report", async () => {
    const first = await api("/reports", { key: tenant.key, body: { name: "weekly", format: "markdown", content: "# Weekly\nalpha\nbeta\n" } });
    expect(first.status).toBe(201);
    const second = await api("/reports", { key: tenant.key, body: { name: "weekly", format: "markdown", content: "# Weekly\nalpha\ngamma\n" } });
    expect(second.status).toBe(201);
    await page.goto(at("/reports"));
    await page.getByRole("link", { name: "weekly" }).click();
    await page.getByLabel("From version").selectOption("1");
    await page.getByLabel("To version").selectOption("2");
    await page.getByRole("button", { name: "Compare" }).click();
    const changes = page.getByRole("region", { name: "Changes from version 1 to version 2" });
    await expect.poll(() => changes.textContent(), { timeout: 10_000 }).toContain("gamma");
    const text = (await changes.textContent())!;
    expect(text).toContain("Removed: beta");
    expect(text).toContain("Added: gamma");
    await screenshot(page, "report-diff");
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("points at the line and column of a template's syntax error", async () => {
    await page.goto(at("/templates/new"));
    await page.getByRole("textbox", { name: "Name" }).fill("broken");
    await page.getByRole("textbox", { name: "Body" }).fill("Hello\n{% if customer %}\n{{ customer.name }}");
    await page.getByRole("button", { name: "Create template" }).click();
    await expect.poll(() => page.getByText(/Line \d+, column \d+/).first().isVisible(), { timeout: 10_000 }).toBe(true);
    await screenshot(page, "template-syntax-error");
  });

  it("screens every page of the tenant's dashboard, with no serious accessibility violation, light and dark, desktop and phone", async () => {
    const schedule = await api("/schedules", { key: tenant.key, body: { name: "hourly", cron: "0 * * * *", job: { type: "simulate", input: {} } } });
    expect(schedule.status).toBe(201);
    const template = await api("/templates", { key: tenant.key, body: { name: "summary", format: "markdown", body: "# {{ report.name }}\n" } });
    expect(template.status).toBe(201);
    const reports = (await api("/reports", { key: tenant.key })).body.items;
    const details = [`/schedules/${schedule.body.id}`, `/templates/${template.body.id}`, `/reports/${reports[0].id}`];
    for (const path of [...details, "", "/jobs", "/dead-letters", "/queues", "/schedules", "/schedules/new", "/reports", "/templates", "/templates/new", "/documents", "/keys", "/settings"]) {
      for (const scheme of ["light", "dark"] as const) {
        for (const width of [1280, 375]) {
          await page.emulateMedia({ colorScheme: scheme });
          await page.setViewportSize({ width, height: width < 600 ? 800 : 900 });
          await page.goto(at(path));
          await expect.poll(() => page.getByRole("heading", { level: 1 }).isVisible(), { timeout: 15_000 }).toBe(true);
          await page.waitForLoadState("networkidle");
          if (path === "" || path === "/jobs") {
            // Lists follow the tenant's live feed: its indicator says so once the socket is open.
            await expect.poll(() => page.locator(".live").textContent(), { timeout: 10_000 }).toBe("Live");
          }
          const name = `${(details.includes(path) ? path.split("/")[1]!.replace(/s$/, "-detail") : path.slice(1).replace("/", "-")) || "overview"}${scheme === "dark" ? "-dark" : ""}${width < 600 ? "-phone" : ""}`;
          await screenshot(page, name);
          expect(await seriousViolations(page), `${name}`).toEqual([]);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(1);
        }
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("lets the platform admin pause and resume a lane", async () => {
    const admin = await (await personContext(browser)).newPage();
    await signIn(admin, server, E2E_ADMIN_KEY);
    await admin.goto(at("/queues"));
    await admin.getByRole("button", { name: "Pause the low lane" }).click();
    await expect.poll(() => admin.getByRole("button", { name: "Resume the low lane" }).isVisible(), { timeout: 10_000 }).toBe(true);
    const paused = (await api("/queues")).body.items.find((l: { lane: string }) => l.lane === "low");
    expect(paused.paused).toBe(true);
    await screenshot(admin, "queues-admin");
    await admin.getByRole("button", { name: "Resume the low lane" }).click();
    await expect.poll(() => admin.getByRole("button", { name: "Pause the low lane" }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect((await api("/queues")).body.items.find((l: { lane: string }) => l.lane === "low").paused).toBe(false);
    await admin.context().close();
  });

  it("runs under its own Content-Security-Policy with no violation", async () => {
    const strict = await browser.newContext();
    const strictPage = await strict.newPage();
    const violations: string[] = [];
    strictPage.on("console", (m) => m.text().includes("Content Security Policy") && violations.push(m.text()));
    await signIn(strictPage, server, tenant.key);
    await strictPage.goto(at("/jobs"));
    await expect.poll(() => strictPage.getByRole("table").isVisible(), { timeout: 15_000 }).toBe(true);
    expect(violations).toEqual([]);
    await strict.close();
  });

  it("signs out, after which the session is refused", async () => {
    const before = await context.cookies();
    await page.goto(at("/jobs"));
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.getByLabel("API key").isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await context.cookies()).toEqual([]);
    await page.goto(at("/jobs"));
    await expect.poll(() => page.getByLabel("API key").isVisible(), { timeout: 10_000 }).toBe(true);
    // A copy of the cookie kept from before the sign-out is refused as well.
    const replay = await fetch(`${server.url}/api/v1/jobs`, { headers: { cookie: `ej_session=${before[0]!.value}` } });
    expect(replay.status).toBe(401);
    const bare = await fetch(`${server.url}/api/v1/jobs`);
    expect(bare.status).toBe(401);
  });
});
