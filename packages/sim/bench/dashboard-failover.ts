// `pnpm bench dashboard-failover [--kills N] [--json] [--smoke]`
// How long a person looking at the dashboard waits to see a device loss: the small federation of the
// dashboard's test (real NATS deployment, `qonnect kb serve`, one fog lead, three agents each in its own PID
// namespace, one application of one replica), Debian's chromium on two tabs (the overview, the application).
// Each kill: kill -9 of the process group of the agent hosting the replica, then the time until the overview
// shows its dot dead, and until the application's page shows the replica on another device; neither tab is
// reloaded. The killed device's agent is then started again and the next kill takes the replica's new
// device. The issue's target: "within seconds".
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "@qonnect/kb/testing";
import { argValue, benchEnv, bundleCli, percentile, round, table } from "@qonnect/testkit";
import { cliOk, useBundledCli } from "../src/federation/cli-process.js";
import { Federation } from "../src/federation/federation.js";
import { SMALL_APP, SMALL_DEVICES, SMALL_INVENTORY } from "../src/federation/testdata/small-federation.js";

const json = process.argv.includes("--json");
const smoke = process.argv.includes("--smoke");
const kills = Number(argValue("--kills", smoke ? "2" : "8"));
const say = (s: string) => process.stderr.write(`${s}\n`);
const LONG = { timeout: 180_000 };

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the REST API
type Json = any;

const dir = mkdtempSync(join(tmpdir(), "qonnect-dashbench-"));
let fed: Federation | undefined;
const stop = async () => {
  await fed?.stop();
  rmSync(dir, { recursive: true, force: true });
};
process.once("SIGINT", () => stop().then(() => process.exit(130)));
process.once("SIGTERM", () => stop().then(() => process.exit(143)));

const redMs: number[] = [];
const movedMs: number[] = [];
let failures = 0;
const started = Date.now();
try {
  useBundledCli(bundleCli());
  writeFileSync(join(dir, "inventory.yaml"), SMALL_INVENTORY);
  writeFileSync(join(dir, "app.yaml"), SMALL_APP);
  fed = await Federation.start({
    dir: join(dir, "federation"),
    inventoryFile: join(dir, "inventory.yaml"),
    regions: ["eu-central"],
    devices: SMALL_DEVICES,
    leadsPerRegion: 1,
    say: (line) => say(`  ${line}`),
  });
  await cliOk([
    "apply",
    "-f",
    join(dir, "inventory.yaml"),
    "-f",
    join(dir, "app.yaml"),
    ...fed.serverFlags(),
  ]);
  const ca = fed.state().ca;
  const browser = await launchChromium(ca ? { trustCaFile: ca } : {});
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const overview = await context.newPage();
  await overview.goto(`${fed.kb.http}/?token=${fed.tokens.viewer}`);
  const app = await context.newPage();
  await app.goto(`${fed.kb.http}/#/applications/web`);
  const replicaDevice = async (): Promise<string | undefined> =>
    (await fed?.rest.get<Json>("placements", "web"))?.spec?.placements?.find(
      (p: Json) => p.service === "front" && p.replica === 0,
    )?.device;
  for (let k = 1; k <= kills; k++) {
    // every device alive on the page, and the replica shown where the Knowledge Base has it
    for (const name of SMALL_DEVICES)
      await overview.waitForSelector(`.topology [data-device='${name}'][data-verdict='alive']`, LONG);
    const victim = await replicaDevice();
    if (!victim) throw new Error("the replica is not placed");
    await app.waitForSelector(`[data-replica='front/0'][data-device='${victim}']`, LONG);
    const t0 = performance.now();
    await fed.killDevice(victim);
    const red = overview
      .waitForSelector(`.topology [data-device='${victim}'][data-verdict='dead']`, LONG)
      .then(() => performance.now() - t0);
    const moved = app
      .waitForSelector(`[data-replica='front/0']:not([data-device='${victim}'])`, LONG)
      .then(() => performance.now() - t0);
    const [r, m] = await Promise.allSettled([red, moved]);
    if (r.status === "fulfilled") redMs.push(r.value);
    else failures++;
    if (m.status === "fulfilled") movedMs.push(m.value);
    else failures++;
    say(
      `kill ${k}/${kills}: ${victim} red after ${r.status === "fulfilled" ? `${round(r.value / 1000, 2)} s` : "never"}, replica on its new device after ${m.status === "fulfilled" ? `${round(m.value / 1000, 2)} s` : "never"}`,
    );
    const device = fed.devices.get(victim)?.device;
    if (device) fed.startDevice(device);
  }
  await browser.close();
} catch (err) {
  failures++;
  say(`failed: ${(err as Error).message}`);
} finally {
  await stop();
}

const s = (ms: number) => (Number.isNaN(ms) ? "not measured" : `${round(ms / 1000, 2)} s`);
process.stdout.write(
  `dashboard failover: ${kills} kill(s) in one small federation, ${failures} failed\n${table(
    ["seen on the dashboard, from kill -9", "p50", "p99", "worst", "target"],
    [
      [
        "device dot red (overview)",
        s(percentile(redMs, 50)),
        s(percentile(redMs, 99)),
        s(Math.max(...redMs)),
        "within seconds",
      ],
      [
        "replica on its new device (application)",
        s(percentile(movedMs, 50)),
        s(percentile(movedMs, 99)),
        s(Math.max(...movedMs)),
        "within seconds",
      ],
    ],
  )}\n`,
);
if (json) {
  const metrics = {
    kills,
    failures,
    deadShownP50Ms: round(percentile(redMs, 50), 0),
    deadShownP99Ms: round(percentile(redMs, 99), 0),
    replicaShownP50Ms: round(percentile(movedMs, 50), 0),
    replicaShownP99Ms: round(percentile(movedMs, 99), 0),
  };
  process.stdout.write(
    `${JSON.stringify({ bench: "dashboard-failover", metrics, env: benchEnv({ wallS: Math.round((Date.now() - started) / 1000), fogLeads: 1, agents: SMALL_DEVICES.length }) })}\n`,
  );
}
process.exit(redMs.length === 0 ? 1 : 0);
