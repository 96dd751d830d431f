// The dashboard inside the federation: Debian's chromium (playwright-core) on the page `kb serve` serves,
// while the Knowledge Base is fed by a real fog lead and real device agents (each in a PID namespace of its
// own) over a real NATS deployment, secure as the federation is by default (HTTPS from the deployment's CA,
// which the browser trusts through its NSS database). A small federation so that it stays cheap under `make test`: one region,
// one fog lead, three agents, one application. Killing the agent that hosts the replica (kill -9 of its
// process group) must turn its device red and show the replica on its new device without a reload; the
// page's explanation must be what `qonnect describe` prints. Waits on conditions with generous limits;
// nothing asserts a time.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  auditContrast,
  type Browser,
  type ConsoleLog,
  collectErrors,
  launchChromium,
  type Page,
} from "@qonnect/kb/testing";
import { bundleCli } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cliOk, REPO_ROOT, useBundledCli } from "./cli-process.js";
import { Federation } from "./federation.js";
import { SMALL_DEVICES as DEVICES, SMALL_APP, SMALL_INVENTORY } from "./testdata/small-federation.js";

const LONG = { timeout: 120_000, interval: 500 };
const RED = "rgb(207, 34, 46)";
// screenshots for docs/ only when asked: QONNECT_DASHBOARD_SCREENSHOTS=docs/img
const shots = process.env.QONNECT_DASHBOARD_SCREENSHOTS
  ? resolve(REPO_ROOT, process.env.QONNECT_DASHBOARD_SCREENSHOTS)
  : undefined;

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the REST API, checked by the assertions
type Json = any;

describe("dashboard in Debian's chromium inside a federation of real processes", {
  timeout: 300_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "qonnect-dashboard-federation-"));
  let fed: Federation | undefined;
  let browser: Browser;
  let page: Page;
  let log: ConsoleLog;
  let url = "";

  const placement = async (): Promise<Json> => fed?.rest.get<Json>("placements", "web");
  const replicaDevice = async (): Promise<string | undefined> =>
    (await placement())?.spec?.placements?.find((p: Json) => p.service === "front" && p.replica === 0)
      ?.device;

  beforeAll(async () => {
    useBundledCli(bundleCli());
    const inventoryFile = join(dir, "inventory.yaml");
    writeFileSync(inventoryFile, SMALL_INVENTORY);
    writeFileSync(join(dir, "app.yaml"), SMALL_APP);
    fed = await Federation.start({
      dir: join(dir, "federation"),
      inventoryFile,
      regions: ["eu-central"],
      devices: DEVICES,
      leadsPerRegion: 1,
    });
    await cliOk(["apply", "-f", inventoryFile, "-f", join(dir, "app.yaml"), ...fed.serverFlags()]);
    url = fed.kb.http;
    // with TLS on (the deployment's CA in the state file), the browser trusts that CA, as a person's would
    const ca = fed.state().ca;
    browser = await launchChromium(ca ? { trustCaFile: ca } : {});
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    log = collectErrors(page);
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await fed?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("shows every agent's device alive, with the region's fog leader and its term", async () => {
    await page.goto(`${url}/?token=${fed?.tokens.viewer}`);
    await page.waitForSelector("[data-role='viewer']", LONG);
    // the federation is secure by default: the page came over HTTPS from a certificate of the deployment's CA,
    // which the browser trusts (no certificate error is ignored), and the session cookie is Secure
    expect(page.url()).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const cookie = (await page.context().cookies()).find((c) => c.name === "qonnect_session");
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: "Strict" });
    for (const name of DEVICES)
      await page.waitForSelector(`.topology [data-device='${name}'][data-verdict='alive']`, LONG);
    expect(await page.locator(".topology [data-device]").count()).toBe(DEVICES.length);
    await page.waitForSelector("tr[data-region='eu-central'] td[data-leader]:text('1')", LONG);
    // the devices table has what the agents measure: power and memory of every device
    await page.click("nav a[href='#/devices']");
    await vi.waitFor(async () => {
      const memory = await page.$$eval("table.devices tbody tr td[data-col='memUtil']", (cells) =>
        cells.map((c) => c.textContent?.trim() ?? ""),
      );
      expect(memory).toHaveLength(DEVICES.length);
      for (const m of memory) expect(m).toMatch(/^\d+(\.\d+)? %$/);
    }, LONG);
  }, 300_000);

  it("shows the explanation `qonnect describe` prints", async () => {
    await page.goto(`${url}/#/applications/web`);
    await vi.waitFor(async () => {
      const spec = (await placement())?.spec;
      const x = spec?.explanation?.replicas?.find((r: Json) => r.service === "front" && r.replica === 0);
      const device = spec?.placements?.[0]?.device;
      expect(device).toBeDefined();
      expect(x?.runnerUp?.device).toBeDefined();
      const fromApi = [
        "front",
        "0",
        device,
        x.runnerUp.device,
        String(Number(x.runnerUp.objectiveDelta.toFixed(4))),
      ];
      const onPage = await page.$$eval("table.placements tbody tr", (rows) =>
        rows.map((r) => {
          const cells = [...r.querySelectorAll("td")].map((c) => c.textContent?.trim() ?? "");
          return [cells[0], cells[1], cells[2], cells[4], cells[5]];
        }),
      );
      const stdout = await cliOk(["describe", "applications", "web", ...(fed?.serverFlags("viewer") ?? [])]);
      const described = stdout
        .split("\n")
        .filter((l) => /^\s+front\s+\d+\s/.test(l))
        .map((l) => {
          const [service, replica, on, , runnerUp, delta] = l.trim().split(/\s+/);
          return [service, replica, on, runnerUp, delta];
        });
      expect(onPage).toEqual([fromApi]);
      expect(described).toEqual([fromApi]);
    }, LONG);
  }, 300_000);

  it("turns a killed device red and shows its replica on its new device without a reload", async () => {
    const victim = await replicaDevice();
    expect(victim).toBeDefined();
    await page.goto(`${url}/#/applications/web`);
    await page.waitForSelector(`[data-replica='front/0'][data-device='${victim}']`, LONG);
    await page.evaluate("window.noReload = true");
    await fed?.killDevice(victim ?? "");
    let moved = "";
    await vi.waitFor(async () => {
      moved = (await replicaDevice()) ?? "";
      expect(moved).not.toBe("");
      expect(moved).not.toBe(victim);
    }, LONG);
    await page.waitForSelector(`[data-replica='front/0'][data-device='${moved}']`, LONG);
    await page.click("nav a[href='#/']");
    const dot = page.locator(`.topology [data-device='${victim}'][data-verdict='dead'] circle`);
    await dot.waitFor(LONG);
    const fill = await dot.evaluate(
      (el) =>
        (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(el)
          .fill,
    );
    expect(fill).toBe(RED);
    expect(await page.evaluate("window.noReload")).toBe(true);
  }, 300_000);

  it("charts a live device's power from the Knowledge Base's history, then live", async () => {
    await page.goto(`${url}/#/devices/pi5-berlin-a`);
    const power = page.locator("[data-chart='power'] .chart-box");
    await page.waitForSelector("[data-chart='power'] canvas", LONG);
    await vi.waitFor(
      async () => expect(Number(await power.getAttribute("data-points"))).toBeGreaterThan(0),
      LONG,
    );
    const first = Number(await power.getAttribute("data-points"));
    await vi.waitFor(
      async () => expect(Number(await power.getAttribute("data-points"))).toBeGreaterThan(first),
      LONG,
    );
    // WCAG AA as drawn, on the screens of a real federation too
    expect((await auditContrast(page)).failures).toEqual([]);
    if (shots) {
      mkdirSync(shots, { recursive: true });
      // a few minutes of history and live points for the pictures (not an assertion)
      await page.waitForTimeout(Number(process.env.QONNECT_DASHBOARD_SCREENSHOT_WAIT_MS ?? 60_000));
      // the device that took the replica over: its page shows the workload and the event of the move
      await page.goto(`${url}/#/devices/${await replicaDevice()}`);
      await page.waitForSelector("[data-chart='power'] canvas", LONG);
      await page.waitForTimeout(5000);
      await page.screenshot({ path: join(shots, "dashboard-device.png"), fullPage: true });
      await page.goto(`${url}/#/`);
      await page.waitForSelector(".topology [data-device]", LONG);
      await page.screenshot({ path: join(shots, "dashboard-overview.png"), fullPage: true });
      await page.goto(`${url}/#/applications/web`);
      await page.waitForSelector("table.placements tbody tr", LONG);
      await page.screenshot({ path: join(shots, "dashboard-applications.png"), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${url}/#/`);
      await page.waitForSelector(".topology [data-device]", LONG);
      await page.screenshot({ path: join(shots, "dashboard-phone.png"), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  }, 900_000);

  it("logged no console errors and no page errors", () => {
    expect(log.errors).toEqual([]);
  });
});
