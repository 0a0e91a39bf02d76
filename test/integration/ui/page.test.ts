/**
 * The status page in a real browser (headless Chromium through playwright-core) against a
 * real `deployster serve` on the real engine, routing through a real Caddy: it renders the
 * services, follows a v1→v2 rollout live (no reload, per-instance steps seen as they
 * happen), shows a failed deploy's reason and log tail, shows a task's exit code, asks for
 * confirmation before a rollback or a destroy (Cancel sends nothing), is keyboard-reachable
 * and usable at 1280×800 and at a phone's 390×844, with no console errors. Screenshots are
 * written to a temp directory whose path is printed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCaddy, type Caddy } from "../../support/caddy";
import { authHeader, deployRecord, PASSWORD, settled, startServe, TestScope, waitFor, type Serve } from "../server/harness";
import { launchBrowser, renderedText, type Browser } from "./browser";

const scope = new TestScope("ui-page");
const SVC = "uipage";
const SCREENSHOTS = mkdtempSync(join(tmpdir(), "deployster-ui-screens-"));
let caddy: Caddy;
let s: Serve;
let b: Browser;

const svc = `[data-service="${SVC}"]`;

async function deploy(version: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version, ...extra } });
  expect(r.status).toBe(201);
}

async function deployStates(): Promise<string[]> {
  const r = await s.json("GET", `/v1/services/${SVC}/deploys`);
  return r.body.deploys.map((d: any) => `${d.version}:${d.state}`);
}

beforeAll(async () => {
  console.error(`screenshots: ${SCREENSHOTS}`);
  await scope.tag(SVC, ["v1", "v2", "exits"]);
  caddy = await startCaddy();
  s = await startServe({
    scope,
    args: ["--caddy-admin", caddy.adminUrl, "--domain", "uitest.local", "--health-timeout", "10s"],
    env: { DEPLOYSTER_DRAIN_MS: "300" },
  });
  await deploy("v1", { instance_count: 2 });
  expect((await settled(s, SVC, "v1")).state).toBe("live");
  b = await launchBrowser({ username: "deployster", password: PASSWORD, width: 1280, height: 800 });
}, 60_000);

afterAll(async () => {
  await b?.close();
  expect(await s?.stop()).toBe(0);
  await caddy?.stop();
  expect(await scope.cleanup()).toEqual([]);
});

describe("the status page", () => {
  test("renders the service, its version and its ready, routed instances", async () => {
    const { page } = b;
    await page.goto(`${s.url}/`);
    await page.waitForSelector(`${svc} [data-version="v1"] [data-unit][data-ready="true"][data-routed="true"]`);
    expect(await page.locator(`${svc} [data-unit]`).count()).toBe(2);
    expect(await renderedText(page.locator(`${svc} [data-unit] [data-label="Address"]`).first())).toMatch(/^127\.0\.0\.1:\d+$/);
    await page.waitForSelector('[data-testid="connection"].conn-live');
    // Marks this document: a reload would lose it.
    await page.evaluate(() => {
      (window as any).__sameDocument = true;
      const seen: string[] = [];
      (window as any).__progress = seen;
      new MutationObserver(() => {
        for (const li of document.querySelectorAll('[data-testid="rollout"] li')) {
          const v = `${li.getAttribute("data-instance")}:${li.getAttribute("data-progress")}`;
          if (seen[seen.length - 1] !== v && !seen.includes(v)) seen.push(v);
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
  });

  test("follows a v1→v2 rollout live, without a reload", async () => {
    const { page } = b;
    await deploy("v2", { destroy_previous: true });
    await page.waitForSelector(`${svc} [data-testid="rollout"]`);
    await page.screenshot({ path: join(SCREENSHOTS, "rollout-1280x800.png"), fullPage: true });
    await page.waitForSelector(`${svc} [data-deploy="v2"][data-deploy-state="live"]`, { timeout: 30_000 });
    await page.waitForFunction((sel) => document.querySelectorAll(`${sel} [data-version="v2"] [data-unit][data-routed="true"]`).length === 2 && !document.querySelector(`${sel} [data-version="v1"]`), svc);
    expect(await page.locator(`${svc} [data-testid="rollout"]`).count()).toBe(0);
    expect(await page.locator(`${svc} [data-deploy="v1"]`).getAttribute("data-deploy-state")).toBe("destroyed");
    const seen: string[] = await page.evaluate(() => (window as any).__progress);
    // Each new instance was shown booting, and at least one was shown further along, while it happened.
    expect(seen).toEqual(expect.arrayContaining(["1:booting", "2:booting"]));
    expect(seen.some((x) => /:(ready|routed|retired)$/.test(x))).toBe(true);
    expect(await page.evaluate(() => (window as any).__sameDocument === true && performance.getEntriesByType("navigation").length === 1)).toBe(true);
  }, 60_000);

  test("shows a task's exit code as it ends", async () => {
    const r = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v2", command: "echo working; exit 3" } });
    expect(r.status).toBe(200);
    expect(await r.text()).toEndWith("\nExited (3) \n");
    await b.page.waitForSelector('[data-task][data-exit="3"]');
    expect(await renderedText(b.page.locator('[data-task][data-exit="3"] [data-label="Command"]'))).toBe("echo working; exit 3");
  }, 30_000);

  test("shows why a deploy failed, with the failing instance's log tail", async () => {
    const { page } = b;
    await deploy("exits", { destroy_previous: true });
    const rec = await settled(s, SVC, "exits");
    expect(rec.state).toBe("failed");
    const failure = page.locator(`${svc} [data-testid="failure"]`);
    await failure.waitFor();
    expect(await renderedText(failure)).toContain(rec.reason);
    await failure.locator("summary").click();
    expect(await renderedText(failure.locator("pre"))).toContain("fatal: DATABASE_URL is not set");
    await page.screenshot({ path: join(SCREENSHOTS, "failed-1280x800.png"), fullPage: true });
  }, 60_000);

  test("the actions are reachable with the keyboard, and Escape or Cancel sends nothing", async () => {
    const { page } = b;
    // A click on the (unfocusable) page header moves the keyboard's starting point to the top.
    await page.locator("header.top h1").click();
    const reached: string[] = [];
    for (let i = 0; i < 40 && !reached.includes("rollback"); i++) {
      await page.keyboard.press("Tab");
      reached.push(await page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? document.activeElement?.tagName ?? ""));
    }
    expect(reached).toContain("rollback");
    const before = await deployStates();
    await page.keyboard.press("Enter");
    const dialog = page.locator('[data-testid="confirm"]');
    await dialog.waitFor({ state: "visible" });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await page.locator(`${svc} [data-testid="rollback"]`).click();
    await dialog.waitFor({ state: "visible" });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    await Bun.sleep(300);
    expect(await deployStates()).toEqual(before);
  }, 30_000);

  test("rolls back only after the confirmation, and shows it live", async () => {
    const { page } = b;
    await page.locator(`${svc} [data-testid="rollback"]`).click();
    const dialog = page.locator('[data-testid="confirm"]');
    await dialog.waitFor({ state: "visible" });
    expect(await renderedText(dialog)).toContain("v2 is replaced by v1");
    await page.screenshot({ path: join(SCREENSHOTS, "confirm-1280x800.png") });
    await dialog.locator('[data-testid="confirm-action"]').click();
    await page.waitForSelector('[data-testid="flash"]:has-text("Rollback of uipage started.")');
    await page.waitForSelector(`${svc} [data-deploy="v2"][data-deploy-state="rolled_back"]`, { timeout: 30_000 });
    await page.waitForFunction((sel) => document.querySelectorAll(`${sel} [data-version="v1"] [data-unit][data-routed="true"]`).length === 2 && !document.querySelector(`${sel} [data-version="v2"]`), svc);
    const rec = await waitFor("the rollback record", async () => (await s.json("GET", `/v1/services/${SVC}/deploys`)).body.deploys[0]);
    expect(`${rec.version}:${rec.state}:${rec.rollback_of?.version}`).toBe("v1:live:v2");
    await page.screenshot({ path: join(SCREENSHOTS, "rolled-back-1280x800.png"), fullPage: true });
  }, 60_000);

  test("is usable at a phone's width (390×844): no sideways scrolling, the actions on screen", async () => {
    const { page } = b;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => document.documentElement.scrollWidth <= 390);
    for (const sel of [`${svc} [data-testid="rollback"]`, `${svc} [data-testid="destroy-v1"]`]) {
      const box = await page.locator(sel).boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    }
    await page.screenshot({ path: join(SCREENSHOTS, "phone-390x844.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("refuses the page's actions from another site, but lets a link from elsewhere open the page", async () => {
    const cross = await fetch(`${s.url}/v1/services/${SVC}/rollback`, {
      method: "POST",
      headers: { authorization: authHeader(), "content-type": "application/json", origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      body: "{}",
    });
    expect(cross.status).toBe(403);
    const nav = await fetch(`${s.url}/`, {
      headers: { authorization: authHeader(), "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" },
    });
    expect(nav.status).toBe(200);
    expect(nav.headers.get("x-frame-options")).toBe("DENY");
    expect(nav.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const embedded = await fetch(`${s.url}/v1/services`, { headers: { authorization: authHeader(), "sec-fetch-site": "cross-site" } });
    expect(embedded.status).toBe(403);
    expect((await fetch(`${s.url}/`)).status).toBe(401);
  });

  test("destroys a version only after the confirmation", async () => {
    const { page } = b;
    await page.locator(`${svc} [data-testid="destroy-v1"]`).click();
    const dialog = page.locator('[data-testid="confirm"]');
    await dialog.waitFor({ state: "visible" });
    expect(await page.locator(`${svc} [data-unit]`).count()).toBe(2);
    await dialog.locator('[data-testid="confirm-action"]').click();
    await page.waitForFunction((sel) => document.querySelectorAll(`${sel} [data-unit]`).length === 0, svc, { timeout: 30_000 });
    expect((await deployRecord(s, SVC, "v1")).state).toBe("destroyed");
  }, 60_000);

  test("no console errors on the way", () => {
    expect(b.errors).toEqual([]);
  });
});
