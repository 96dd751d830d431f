// The demo's story on a running federation, told through public interfaces only (the CLI over the control
// API for writes, the REST API and the services' own HTTP ports for reads), each step timed.
import { join } from "node:path";
import { sendDeviceCommand } from "@qonnect/agent";
import { loopbackPort } from "@qonnect/fog";
import { loadBundle, natsConnectOptions } from "@qonnect/pki";
import { telemetryV1 } from "@qonnect/proto";
import { cliOk, REPO_ROOT } from "./cli-process.js";
import { LOOPBACK_PORT_BASE } from "./configs.js";
import type { Federation } from "./federation.js";

export interface StepResult {
  step: string;
  ms: number;
  ok: boolean;
  detail: string;
}

interface PlacementResource {
  spec?: { app: string; placements: { app: string; service: string; replica: number; device: string }[] };
}

/** True when a Bookinfo answer reached every service below productpage without an error. */
export function wholeTree(answer: unknown): boolean {
  if (!answer || typeof answer !== "object") return false;
  const downstream = (answer as { downstream?: Record<string, unknown> }).downstream ?? {};
  return Object.values(downstream).every(
    (d) => d !== null && typeof d === "object" && !("error" in d) && wholeTree(d),
  );
}

async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return res.ok && wholeTree(await res.json());
  } catch {
    return false;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export class Story {
  readonly results: StepResult[] = [];
  constructor(
    readonly fed: Federation,
    readonly say: (line: string) => void,
  ) {}

  #record(step: string, t0: number, ok: boolean, detail: string): StepResult {
    const r = { step, ms: Date.now() - t0, ok, detail };
    this.results.push(r);
    this.say(`${ok ? "✓" : "✗"} ${step}: ${detail} (${(r.ms / 1000).toFixed(1)} s)`);
    return r;
  }

  /** Records (and prints) a step told in another file (story-energy.ts, story-site-cut.ts, story-nats.ts). */
  record(step: string, t0: number, ok: boolean, detail: string): StepResult {
    return this.#record(step, t0, ok, detail);
  }

  /** True once productpage on `port` answers with its whole call tree (within `timeoutMs`). */
  answersWithin(port: number, timeoutMs: number): Promise<boolean> {
    return until(() => answers(port), timeoutMs);
  }

  async placement(app: string): Promise<PlacementResource["spec"]> {
    return (await this.fed.rest.get<PlacementResource>("placements", app))?.spec;
  }

  /** Port of productpage's replica `replica` on loopback (every device shares 127.0.0.1). */
  productpagePort(appName: string, replica: number): number {
    return loopbackPort(LOOPBACK_PORT_BASE, appName, "productpage", replica);
  }

  /** Step 1: apply the inventory and Bookinfo through the CLI; wait until the call graph answers. */
  async applyBookinfo(timeoutMs = 120_000): Promise<StepResult> {
    const t0 = Date.now();
    const files = ["examples/inventory-9-sites.yaml", "examples/bookinfo.yaml"].map((f) =>
      join(REPO_ROOT, f),
    );
    await cliOk(["apply", ...files.flatMap((f) => ["-f", f]), ...this.fed.serverFlags()]);
    let port = 0;
    const ok = await until(async () => {
      const spec = await this.placement("bookinfo");
      const pp = spec?.placements.find((p) => p.service === "productpage");
      if (!pp) return false;
      port = this.productpagePort(pp.app, pp.replica);
      return answers(port);
    }, timeoutMs);
    const spec = await this.placement("bookinfo");
    const where = (spec?.placements ?? []).map((p) => `${p.service}/${p.replica}→${p.device}`).join(", ");
    return this.#record(
      "apply bookinfo",
      t0,
      ok,
      ok ? `answers on :${port}; ${where}` : "the call graph did not answer",
    );
  }

  /** Step 2: kill -9 the device hosting productpage/0; time from the kill until it answers again. */
  async killDevice(timeoutMs = 60_000): Promise<StepResult & { victim: string }> {
    const spec = await this.placement("bookinfo");
    const pp = spec?.placements.find((p) => p.service === "productpage" && p.replica === 0);
    if (!pp)
      return { ...this.#record("device loss", Date.now(), false, "productpage/0 is not placed"), victim: "" };
    const port = this.productpagePort(pp.app, pp.replica);
    const t0 = Date.now();
    await this.fed.killDevice(pp.device);
    const ok = await until(async () => {
      const now = await this.placement("bookinfo");
      const moved = now?.placements.find((p) => p.service === "productpage" && p.replica === 0);
      return moved !== undefined && moved.device !== pp.device && (await answers(port));
    }, timeoutMs);
    const after = (await this.placement("bookinfo"))?.placements.find(
      (p) => p.service === "productpage" && p.replica === 0,
    );
    return {
      ...this.#record(
        "device loss",
        t0,
        ok,
        ok
          ? `kill -9 ${pp.device} → productpage/0 answers on ${after?.device}`
          : `did not recover from losing ${pp.device}`,
      ),
      victim: pp.device,
    };
  }

  /**
   * Step 3: kill -9 the fog leader of `region`; time until the Knowledge Base hears a new leader. Then the
   * device lost in step 2 comes back with its old workloads: the new leader stops what moved away with a
   * command of its own term, and a command carrying the old leader's term is refused by that device.
   */
  async killLeader(region: string, returning?: string, timeoutMs = 60_000): Promise<StepResult> {
    const leader = await this.fed.leaderOf(region);
    if (!leader) return this.#record("fog leader loss", Date.now(), false, `no known leader in ${region}`);
    const oldTerm = (await this.fed.regionState(region))?.term ?? 0;
    const t0 = Date.now();
    await leader.process.kill();
    const ok = await until(async () => {
      const now = await this.fed.leaderOf(region);
      return now !== undefined && now.id !== leader.id && now.process.running();
    }, timeoutMs);
    const now = await this.fed.leaderOf(region);
    this.fed.restartLead(leader);
    const result = this.#record(
      "fog leader loss",
      t0,
      ok,
      ok
        ? `kill -9 fog ${region}/${leader.id} → fog ${region}/${now?.id} leads`
        : "no new leader was reported",
    );
    if (ok && returning) await this.staleCommand(region, returning, oldTerm, leader.id);
    return result;
  }

  /**
   * A device comes back; once it holds the new leader's token, a command of the old term — sent with the deposed
   * leader's own identity `fog-<oldLeader>`, which NATS lets publish commands — is refused.
   */
  async staleCommand(
    region: string,
    name: string,
    oldTerm: number,
    oldLeader = 1,
    timeoutMs = 60_000,
  ): Promise<StepResult> {
    const proc = this.fed.devices.get(name);
    if (!proc) return this.#record("stale command", Date.now(), false, `no device ${name}`);
    const t0 = Date.now();
    this.fed.startDevice(proc.device);
    const held = await until(async () => {
      const st = await this.fed.regionState(region);
      const d = st?.devices.find((x) => x.name === name);
      return (d?.ackedToken?.term ?? 0) > oldTerm;
    }, timeoutMs);
    if (!held) return this.#record("stale command", t0, false, `${name} never acknowledged the new leader`);
    let ack: Awaited<ReturnType<typeof sendDeviceCommand>>;
    try {
      const security = this.fed.security;
      const connection = security
        ? natsConnectOptions(loadBundle(join(security.dir, "bundles", `${region}-fog-fog-${oldLeader}`)))
        : {};
      ack = await sendDeviceCommand(
        [this.fed.nats.leaves[region]?.url ?? ""],
        region,
        {
          device: name,
          token: telemetryV1.FencingToken.create({ term: oldTerm, planVersion: 1_000_000 }),
          workloads: [],
          tsMs: Date.now(),
        },
        15_000,
        connection,
      );
    } catch (err) {
      // (a step that cannot run says why and the story goes on)
      return this.#record(
        "stale command",
        t0,
        false,
        `could not send the old term's command: ${(err as Error).message}`,
      );
    }
    return this.#record(
      "stale command",
      t0,
      !ack.accepted,
      ack.accepted
        ? `${name} ACCEPTED a command of the old term ${oldTerm}`
        : `${name} is back, reconciled by the new leader; a command of the old term ${oldTerm} is refused (${ack.error})`,
    );
  }

  /**
   * Step 4: the Knowledge Base stops; a device hosting a replica dies; the region re-places on its own
   * (timed from the kill until the replica answers again); the Knowledge Base returns and reconciles.
   */
  async kbAway(timeoutMs = 90_000): Promise<StepResult> {
    const spec = await this.placement("bookinfo");
    const pp = spec?.placements.find((p) => p.service === "productpage" && p.replica === 1);
    if (!pp) return this.#record("kb away", Date.now(), false, "productpage/1 is not placed");
    const region = this.fed.devices.get(pp.device)?.device.region ?? "eu-central";
    const port = this.productpagePort(pp.app, pp.replica);
    await this.fed.stopKb();
    const before = (await this.fed.regionState(region))?.planVersion ?? 0;
    const t0 = Date.now();
    await this.fed.killDevice(pp.device);
    const replaced = await until(async () => {
      const st = await this.fed.regionState(region);
      const now = st?.placements.find((p) => p.service === "productpage" && p.replica === 1);
      return (st?.planVersion ?? 0) > before && now?.device !== pp.device && (await answers(port));
    }, timeoutMs);
    const r = this.#record(
      "kb away",
      t0,
      replaced,
      replaced
        ? `Knowledge Base stopped; kill -9 ${pp.device} → ${region} re-placed productpage/1 itself and it answers`
        : `${region} did not re-place productpage/1 while the Knowledge Base was away`,
    );
    const t1 = Date.now();
    await this.fed.startKb();
    const reconciled = await until(async () => {
      const st = await this.fed.regionState(region);
      const kbView = (await this.placement("bookinfo"))?.placements.find(
        (p) => p.service === "productpage" && p.replica === 1,
      );
      const regionView = st?.placements.find((p) => p.service === "productpage" && p.replica === 1);
      return kbView !== undefined && kbView.device === regionView?.device;
    }, timeoutMs);
    this.#record(
      "kb reconcile",
      t1,
      reconciled,
      reconciled
        ? "the Knowledge Base is back and holds the region's local placement"
        : "the Knowledge Base did not reconcile",
    );
    return r;
  }

  /** The summary table: measured times beside the anchors. */
  table(): string {
    const anchors: Record<string, string> = {
      "apply bookinfo": "—",
      "device loss":
        "Kubernetes ~340 s to move pods off a dead node; Nomad 20–30 s to detect; QONNECT prototype ~40 s",
      "fog leader loss": "etcd election at equal settings (100 ms heartbeat, 1 s election) ~1.8 s p99",
      "stale command": "QONNECT prototype: a partitioned old leader keeps scheduling",
      "kb away": "Karmada's application failover waits 300 s; OpenYurt users ask for local autonomy",
      "kb reconcile": "—",
      "cloud NATS loss": "a NATS cluster of 3 tolerates one server down",
      "grid + sunset": "Kubernetes does not re-place running pods when energy changes",
      "site cut": "Kubernetes evicts after ~340 s whether a node is cut off or dead",
    };
    const rows = this.results.map(
      (r) =>
        `${r.ok ? "ok  " : "FAIL"}  ${r.step.padEnd(16)} ${(r.ms / 1000).toFixed(1).padStart(6)} s   ${anchors[r.step] ?? ""}`,
    );
    return ["      step              measured   anchor", ...rows].join("\n");
  }
}
