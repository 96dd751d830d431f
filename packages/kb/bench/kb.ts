// `pnpm bench kb [--json] [--smoke] [--store sqlite|postgres]`: the Knowledge Base under load, as a real
// `kb serve` process on SQLite and on a real PostgreSQL, with three regions stood in for by the FogLead
// contract double (packages/testkit). Measures applies per second (and each apply's latency), the latency
// from an apply to the region receiving a plan that has it (p50, p99, worst), and kb serve's memory and CPU.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { freePort, startFogDouble, startPostgres, tempDir } from "@qonnect/testkit";
import { createToken, KbClient, openStore } from "../src/index.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const smoke = args.includes("--smoke");
const only = args.includes("--store") ? args[args.indexOf("--store") + 1] : undefined;
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const APPS = Number(flag("--apps") ?? (smoke ? 40 : 1000));
const DEVICES = Number(flag("--devices") ?? (smoke ? 300 : 5000));
/** `--cpu-prof DIR`: kb serve writes a V8 CPU profile there when it exits. */
const CPU_PROF = flag("--cpu-prof");
const REGIONS = 3;
const SITES_PER_REGION = 10;
const UPDATES = Number(flag("--updates") ?? (smoke ? 10 : 50));
const CONCURRENCY = 8;
const log = (s: string) => process.stderr.write(`${s}\n`);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : 0;
};
const round = (v: number, d = 1) => Number(v.toFixed(d));

function inventory(regions: string[]): string {
  const zones = ["DE", "FR", "PL"];
  const sites: string[] = [];
  const devices: string[] = [];
  regions.forEach((r, ri) => {
    for (let s = 0; s < SITES_PER_REGION; s++)
      sites.push(`    - { name: ${r}-s${s}, tier: edge, region: ${r}, zone: ${zones[ri]} }`);
  });
  for (let i = 0; i < DEVICES; i++) {
    const r = regions[i % REGIONS]!;
    const site = `${r}-s${Math.floor(i / REGIONS) % SITES_PER_REGION}`;
    devices.push(
      `    - { name: d${i}, site: ${site}, arch: arm64, cpu: 4, memory: 8Gi, power: { idleW: 3, maxW: 10 }, pricePerHour: 0.01 }`,
    );
  }
  return `apiVersion: qonnect.io/v1alpha1
kind: Inventory
metadata:
  name: bench
spec:
  zones:
    - { name: DE, intensityGPerKWh: 380, pricePerKWh: 0.3 }
    - { name: FR, intensityGPerKWh: 60, pricePerKWh: 0.2 }
    - { name: PL, intensityGPerKWh: 700, pricePerKWh: 0.25 }
  sites:
${sites.join("\n")}
  devices:
${devices.join("\n")}
`;
}

const app = (i: number, replicas: number) => `apiVersion: qonnect.io/v1alpha1
kind: Application
metadata:
  name: app-${i}
spec:
  qos: { energy: ${1 + (i % 3)}, carbon: ${1 + (i % 5)}, cost: 1, performance: 1 }
  services:
    - name: svc
      replicas: ${replicas}
      resources: { cpu: 250m, memory: 128Mi }
      placement: { spread: device }
`;

function procStats(pid: number): { rssMB: number; hwmMB: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  return { rssMB: kb("VmRSS") / 1024, hwmMB: kb("VmHWM") / 1024, cpuS: ticks / 100 };
}

async function listening(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`kb serve did not listen on ${port}`);
}

async function waitFor(what: string, fn: () => boolean, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Per region, per application: replicas in the region's newest committed plan, and when they changed. */
class Arrivals {
  readonly byRegion = new Map<string, Map<string, { n: number; atMs: number }>>();
  record(region: string, placements: readonly { app: string }[], atMs: number): void {
    const counts = new Map<string, number>();
    for (const p of placements) counts.set(p.app, (counts.get(p.app) ?? 0) + 1);
    const prev = this.byRegion.get(region) ?? new Map<string, { n: number; atMs: number }>();
    const next = new Map<string, { n: number; atMs: number }>();
    for (const [app, n] of counts) {
      const old = prev.get(app);
      next.set(app, old && old.n === n ? old : { n, atMs });
    }
    this.byRegion.set(region, next);
  }
  /** Replicas of `app` over every region, and the latest arrival that changed them. */
  of(app: string): { n: number; atMs: number } {
    let n = 0;
    let atMs = 0;
    for (const m of this.byRegion.values()) {
      const e = m.get(app);
      if (e) {
        n += e.n;
        atMs = Math.max(atMs, e.atMs);
      }
    }
    return { n, atMs };
  }
  placedApps(): number {
    const all = new Set<string>();
    for (const m of this.byRegion.values()) for (const k of m.keys()) all.add(k);
    return all.size;
  }
}

async function runOne(flavour: "sqlite" | "postgres") {
  const dir = tempDir("kb-bench-");
  const pg = flavour === "postgres" ? await startPostgres() : undefined;
  const schema = `b_${randomBytes(4).toString("hex")}`;
  const regions = Array.from({ length: REGIONS }, (_, i) => `r${i}-${randomBytes(2).toString("hex")}`);
  const arrivals = new Arrivals();
  // the doubles keep only their newest plans: the benchmark reads arrivals, not the log
  const fogs = await Promise.all(
    regions.map((region) =>
      startFogDouble({
        region,
        keepApplied: 2,
        onApply: (req, atMs) => arrivals.record(region, req.placements, atMs),
      }),
    ),
  );
  const storeUrl = pg?.url ?? "sqlite";
  const setup = await openStore(storeUrl, dir.path, pg ? { schema } : {});
  const token = (await createToken(setup, "admin", { nowMs: Date.now() })).token;
  await setup.close();
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const main = fileURLToPath(new URL("../src/testdata/serve-main.ts", import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", CPU_PROF] : []),
      "--import",
      "tsx",
      main,
      dir.path,
      `127.0.0.1:${grpcPort}`,
      `127.0.0.1:${httpPort}`,
    ],
    {
      stdio: ["ignore", "ignore", "ignore"],
      env: { ...process.env, KB_STORE: storeUrl, KB_SCHEMA: pg ? schema : "", KB_PLANNING: "1" },
    },
  );
  try {
    await listening(grpcPort);
    const client = new KbClient({
      server: `127.0.0.1:${grpcPort}`,
      insecure: true,
      token,
      timeoutMs: 120_000,
    });
    await client.apply(inventory(regions), "inventory.yaml");
    for (const [i, r] of regions.entries())
      await client.apply(
        `apiVersion: qonnect.io/v1alpha1\nkind: Region\nmetadata:\n  name: ${r}\nspec:\n  fogLeads: ["${fogs[i]!.addresses[0]}"]\n`,
      );
    await waitFor("first plans", () => fogs.every((f) => f.applied.length > 0));
    const cpu0 = procStats(child.pid!).cpuS;

    // phase 1: N applications applied by CONCURRENCY clients
    const applyMs: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < APPS; i = next++) {
          const s = performance.now();
          await client.apply(app(i, 2));
          applyMs.push(performance.now() - s);
        }
      }),
    );
    const applySeconds = (performance.now() - t0) / 1000;
    await waitFor("every application placed", () => arrivals.placedApps() >= APPS);
    const convergeSeconds = (performance.now() - t0) / 1000;
    log(
      `${flavour}: ${APPS} applies in ${applySeconds.toFixed(1)} s, all placed after ${convergeSeconds.toFixed(1)} s`,
    );

    // phase 2: apply → plan sent, one change at a time on the full fleet
    const latencyMs: number[] = [];
    for (let k = 0; k < UPDATES; k++) {
      const i = (k * 37) % APPS;
      const sinceMs = Date.now();
      await client.apply(app(i, 3));
      await waitFor(`app-${i} with 3 replicas sent`, () => arrivals.of(`app-${i}`).n === 3);
      latencyMs.push(arrivals.of(`app-${i}`).atMs - sinceMs);
      await client.apply(app(i, 2));
      await waitFor(`app-${i} back to 2 replicas`, () => arrivals.of(`app-${i}`).n === 2);
    }
    const stats = procStats(child.pid!);
    client.close();
    return {
      appliesPerSecond: round(APPS / applySeconds),
      applyP50Ms: round(pct(applyMs, 50)),
      applyP99Ms: round(pct(applyMs, 99)),
      applyMaxMs: round(Math.max(...applyMs)),
      convergeSeconds: round(convergeSeconds),
      applyToPlanSentP50Ms: round(pct(latencyMs, 50)),
      applyToPlanSentP99Ms: round(pct(latencyMs, 99)),
      applyToPlanSentMaxMs: round(Math.max(...latencyMs)),
      rssMB: round(stats.rssMB),
      peakRssMB: round(stats.hwmMB),
      cpuSeconds: round(stats.cpuS - cpu0),
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    for (const f of fogs) await f.stop();
    await pg?.stop();
    dir.remove();
  }
}

const metrics: Record<string, number> = {};
for (const flavour of ["sqlite", "postgres"] as const) {
  if (only && only !== flavour) continue;
  const r = await runOne(flavour);
  for (const [k, v] of Object.entries(r)) metrics[`${flavour}.${k}`] = v;
}
const rows = Object.entries(metrics).map(([k, v]) => `${k.padEnd(36)} ${v}`);
log(
  `kb: ${APPS} applications over ${DEVICES} devices in ${REGIONS} regions (anchor: Kubernetes API server SLO, p99 of mutating calls < 1000 ms)`,
);
for (const r of rows) log(r);
if (json)
  process.stdout.write(
    `${JSON.stringify({
      bench: "kb",
      metrics,
      env: {
        apps: APPS,
        devices: DEVICES,
        regions: REGIONS,
        concurrency: CONCURRENCY,
        updates: UPDATES,
        smoke,
        cpus: cpus().length,
        node: process.version,
      },
    })}\n`,
  );
