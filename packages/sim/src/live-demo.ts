import { get } from "node:http";
import { join } from "node:path";
import {
  type Application,
  type ApplicationManifest,
  type Inventory,
  type InventoryManifest,
  loadManifests,
  toApplication,
  toInventory,
} from "@qonnect/core";
import { workloadsByDevice } from "@qonnect/fog";
import { freePort, startNatsServer } from "@qonnect/natsd";
import { type Plan, planSync } from "@qonnect/planner";
import { telemetryV1 } from "@qonnect/proto";
import { CommandRefusedError, DemoInputError, PlanInfeasibleError } from "./errors.js";
import { VirtualFleet } from "./fleet.js";
import { pollUntil, TelemetryMonitor } from "./telemetry-monitor.js";

export interface LiveDemoOptions {
  /** The repository root: examples and workload commands are found from here. */
  rootDir: string;
  app?: string;
  inventory?: string;
  /** Progress and results, one line at a time. */
  say(line: string): void;
}

/** What the live demo observed; the CLI prints it and the tests check it. */
export interface LiveDemoResult {
  devices: string[];
  /** The call graph answered through productpage before and after the failure. */
  answeredBefore: boolean;
  answeredAfter: boolean;
  killed: string;
  moves: string[];
  staleTokenRefused: boolean;
  telemetrySamples: number;
}

function fetchJson(port: number): Promise<unknown> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path: "/", timeout: 3000 }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
  });
}

/** True when a Bookinfo answer reached every service below productpage without an error. */
function wholeTree(answer: unknown): boolean {
  if (!answer || typeof answer !== "object") return false;
  const downstream = (answer as { downstream?: Record<string, unknown> }).downstream ?? {};
  return Object.values(downstream).every(
    (d) => d !== null && typeof d === "object" && !("error" in d) && wholeTree(d),
  );
}

function tree(answer: unknown, depth = 0): string[] {
  if (!answer || typeof answer !== "object") return [];
  const a = answer as { service?: string; downstream?: Record<string, unknown> };
  return [
    `${"  ".repeat(depth)}${a.service ?? "?"}`,
    ...Object.values(a.downstream ?? {}).flatMap((d) => tree(d, depth + 1)),
  ];
}

async function load(rootDir: string, appFile: string, inventoryFile: string) {
  const docs = await loadManifests(join(rootDir, appFile), join(rootDir, inventoryFile));
  const appDoc = docs.find((d) => d.manifest.kind === "Application");
  const invDoc = docs.find((d) => d.manifest.kind === "Inventory");
  if (!appDoc || !invDoc) throw new DemoInputError(appFile, inventoryFile);
  return {
    app: toApplication(appDoc.manifest as ApplicationManifest),
    inventory: toInventory(invDoc.manifest as InventoryManifest),
  };
}

async function command(
  fleet: VirtualFleet,
  app: Application,
  inventory: Inventory,
  plan: Plan,
  portOf: (service: string, replica: number) => number,
  token: { term: number; planVersion: number },
  devices: Iterable<string>,
): Promise<string[]> {
  const sets = workloadsByDevice(
    app,
    inventory,
    plan.placements,
    portOf,
    `${app.name}-v${token.planVersion}`,
  );
  const lines: string[] = [];
  for (const device of devices) {
    const ack = await fleet.command(device, token, sets.get(device) ?? []);
    if (!ack.accepted) throw new CommandRefusedError(device, token.planVersion, ack.error);
    lines.push(
      `${device}: accepted ${(sets.get(device) ?? []).map((w) => `${w.service}/${w.replica}`).join(" ") || "(nothing)"}`,
    );
  }
  return lines;
}

/**
 * The live end-to-end path: a real nats-server, one real device agent per planned device (emulated INA219,
 * process runtime), the Bookinfo plan sent as fenced commands, the call graph answering over HTTP, telemetry
 * flowing, then a device dies, the planner re-plans from the current placement and the survivors take over;
 * a command with the old token is refused.
 */
export async function runLiveDemo(options: LiveDemoOptions): Promise<LiveDemoResult> {
  const { say, rootDir } = options;
  const { app, inventory } = await load(
    rootDir,
    options.app ?? "examples/bookinfo.yaml",
    options.inventory ?? "examples/inventory-9-sites.yaml",
  );
  const plan = planSync(inventory, app);
  if (!plan.feasible) throw new PlanInfeasibleError(app.name, plan.problems);

  const ports = new Map<string, number>();
  // workload ports below the kernel's ephemeral range, so no outgoing connection can take one before the
  // workload binds it
  for (const p of plan.placements) {
    let port: number;
    do port = await freePort({ fromPort: 20_000, toPort: 32_000 });
    while ([...ports.values()].includes(port));
    ports.set(`${p.service}/${p.replica}`, port);
  }
  const portOf = (service: string, replica: number) => ports.get(`${service}/${replica}`) ?? 0;

  const nats = await startNatsServer();
  say(`nats-server pid ${nats.pid} on ${nats.url}`);
  const fleet = new VirtualFleet({ natsUrl: nats.url, workDir: rootDir });
  const monitor = await TelemetryMonitor.open(nats.url);
  try {
    const planned = [...new Set(plan.placements.map((p) => p.device))];
    // one spare per planned site's region, so there is somewhere to go when a device dies
    const spares = inventory.devices.filter(
      (d) => d.alive && !planned.includes(d.name) && d.region === "eu-central",
    );
    const devices = inventory.devices.filter((d) => planned.includes(d.name) || spares.includes(d));
    say(
      `starting ${devices.length} device agents (emulated INA219, process runtime): ${devices.map((d) => d.name).join(", ")}`,
    );
    for (const d of devices) await fleet.start(d);
    await pollUntil(() => devices.every((d) => monitor.latest.has(d.name)), 20_000);

    say(`sending plan v1 as fenced commands (term 1, plan 1)`);
    for (const line of await command(
      fleet,
      app,
      inventory,
      plan,
      portOf,
      { term: 1, planVersion: 1 },
      planned,
    ))
      say(`  ${line}`);
    const front = portOf("productpage", 0);
    let answer: unknown;
    const answeredBefore = await pollUntil(
      async () => {
        answer = await fetchJson(front);
        return wholeTree(answer);
      },
      60_000,
      250,
    );
    say(`GET productpage/0 → ${answeredBefore ? "the whole call graph answered" : "NO complete answer"}:`);
    for (const line of tree(answer)) say(`  ${line}`);

    await new Promise((r) => setTimeout(r, 1500));
    say("telemetry (latest sample per device):");
    for (const d of devices) {
      const t = monitor.latest.get(d.name);
      if (!t) continue;
      const source = t.powerSource === telemetryV1.PowerSource.POWER_SOURCE_MEASURED ? "measured" : "model";
      say(
        `  ${d.name.padEnd(14)} seq ${String(t.seq).padStart(3)}  ${t.powerW.toFixed(2)} W ${source}  running: ${monitor.running(d.name).join(" ") || "-"}`,
      );
    }

    const victim =
      plan.placements.find((p) => p.service === "productpage" && p.replica === 1)?.device ?? planned[0]!;
    say(`\ndevice ${victim} dies (its agent and workloads stop)`);
    await fleet.kill(victim);
    const after: Inventory = {
      ...inventory,
      devices: inventory.devices.map((d) => (d.name === victim ? { ...d, alive: false } : d)),
    };
    const replan = planSync(after, app, { current: plan.placements });
    // `why` is the filter that rejects the replica's old device ("alive": it is down), `new`, `removed` or `better`
    const moves = replan.moves.map(
      (m) =>
        `${m.op} ${m.service}/${m.replica} on ${m.device} (${m.why === "alive" ? "its device is down" : m.why})`,
    );
    say(`re-plan from the current placement: ${moves.length} steps, make-before-break`);
    for (const m of moves) say(`  ${m}`);
    const touched = new Set(replan.moves.map((m) => m.device).filter((d) => d !== victim));
    for (const line of await command(fleet, app, after, replan, portOf, { term: 1, planVersion: 2 }, touched))
      say(`  ${line}`);
    const answeredAfter = await pollUntil(
      async () => wholeTree(await fetchJson(portOf("productpage", 1))) && wholeTree(await fetchJson(front)),
      60_000,
      250,
    );
    say(
      `GET productpage/1 on its new device → ${answeredAfter ? "the whole call graph answered" : "NO complete answer"}`,
    );

    const survivor = [...touched][0] ?? planned.find((d) => d !== victim)!;
    const stale = await fleet.command(survivor, { term: 1, planVersion: 1 }, []);
    const staleTokenRefused = !stale.accepted;
    say(
      `a deposed leader's command (term 1, plan 1) to ${survivor}: ${staleTokenRefused ? `refused — ${stale.error}` : "ACCEPTED (wrong)"}`,
    );
    say(`${monitor.samples} telemetry samples received`);
    return {
      devices: devices.map((d) => d.name),
      answeredBefore,
      answeredAfter,
      killed: victim,
      moves,
      staleTokenRefused,
      telemetrySamples: monitor.samples,
    };
  } finally {
    await monitor.close();
    await fleet.close();
    await nats.stop();
  }
}
