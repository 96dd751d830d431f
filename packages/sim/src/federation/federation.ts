// The whole architecture of DESIGN.md §1 on one machine, as separate OS processes on loopback: a NATS
// deployment (cloud cluster + one leafnode per region, from infra/nats), a Knowledge Base (`qonnect kb
// serve`), three fog leads per region (`qonnect fog run`) and one device agent per inventory device
// (`qonnect agent run`, each in a PID namespace of its own so that killing it is a power cut). Everything is
// driven through public interfaces only: the CLI over the control API, the REST API, FogLead.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Device,
  type Inventory,
  type InventoryManifest,
  loadManifests,
  toInventory,
} from "@qonnect/core";
import { FogClient } from "@qonnect/fog";
import { freePort, type NatsDeployment, startNatsDeployment } from "@qonnect/natsd";
import type { fogV1 } from "@qonnect/proto";
import { cliOk } from "./cli-process.js";
import { solarFileOf } from "./configs.js";
import { type DeviceProcess, deviceDirOf, spawnDeviceAgent } from "./device-agents.js";
import { FederationPki } from "./federation-pki.js";
import { type FogLeadProcess, spawnFogLead, startFogLeads } from "./fog-leads.js";
import { createKbTokens, type KbTokens, spawnKb } from "./kb-process.js";
import { KbRest } from "./kb-rest.js";
import type { OsProcess } from "./os-process.js";
import { createSiteNets, relaySiteNets, type SiteNet } from "./site-net.js";
import { FederationStartError, FederationStopError, httpOk, waitUntil } from "./start-wait.js";
import type { DemoState } from "./state-file.js";

export type { DeviceProcess } from "./device-agents.js";
export type { FogLeadProcess } from "./fog-leads.js";
export { FederationStartError, FederationStopError } from "./start-wait.js";

export interface FederationOptions {
  /** Working directory: one sub-directory per process (data, config, log). */
  dir: string;
  /** The Inventory manifest whose devices become agents. */
  inventoryFile: string;
  /** Regions to run (default: every region with a live device). */
  regions?: string[];
  /** Devices to run (default: every live device of those regions). */
  devices?: string[];
  leadsPerRegion?: number;
  samplePeriodMs?: number;
  /**
   * Sites whose agents run in a network namespace of their own, joined to the region's leafnode by a veth
   * that a site cut takes down (site-net.ts). Where namespaces cannot be made, the agents run on the host and
   * `siteNetProblem` says why.
   */
  siteNamespaces?: string[];
  say?: (line: string) => void;
  /**
   * Everything plaintext (NATS without auth, gRPC and HTTP without TLS): the demo's `--insecure` opt-out.
   * By default the federation is secure: a PKI in `<dir>/pki`, a bundle per process (DESIGN.md §10).
   */
  insecure?: boolean;
}

export class Federation {
  readonly inventory: Inventory;
  readonly regions: string[];
  nats!: NatsDeployment;
  kb!: { process: OsProcess; grpc: string; http: string; dataDir: string };
  tokens!: KbTokens;
  rest!: KbRest;
  /** The deployment's identities; undefined when the federation runs with `insecure`. */
  security: FederationPki | undefined;
  /** NATS creds that may subscribe to everything and publish nothing (an admin bundle's nats.creds). */
  #observer: string | undefined;
  readonly fog = new Map<string, FogLeadProcess[]>();
  readonly devices = new Map<string, DeviceProcess>();
  /** Sites in a network namespace of their own (options.siteNamespaces), by site name. */
  readonly siteNets = new Map<string, SiteNet>();
  /** Why the sites of options.siteNamespaces run on the host instead, if they do. */
  siteNetProblem: string | undefined;
  /** Every device process started (restarts included): stop() waits for each one's process group to empty. */
  readonly #deviceProcesses: OsProcess[] = [];
  readonly #say: (line: string) => void;

  private constructor(
    readonly options: FederationOptions,
    inventory: Inventory,
  ) {
    this.inventory = inventory;
    this.#say = options.say ?? (() => {});
    const live = inventory.devices.filter((d) => d.alive);
    this.regions = options.regions ?? [...new Set(live.map((d) => d.region))].sort();
  }

  static async start(options: FederationOptions): Promise<Federation> {
    const [doc] = await loadManifests(options.inventoryFile);
    if (doc?.manifest.kind !== "Inventory")
      throw new FederationStartError("inventory", `${options.inventoryFile} holds no kind: Inventory`);
    const fed = new Federation(options, toInventory(doc.manifest as InventoryManifest));
    try {
      await fed.#startAll();
    } catch (err) {
      await fed.stop();
      throw err;
    }
    return fed;
  }

  /** The control API flags every CLI call against this Knowledge Base needs. */
  serverFlags(role: "admin" | "operator" | "viewer" = "operator"): string[] {
    const tls = this.security ? ["--ca", this.security.caFile] : ["--insecure"];
    return ["--server", this.kb.grpc, "--token", this.tokens[role], ...tls];
  }

  async #startAll(): Promise<void> {
    const { dir } = this.options;
    mkdirSync(dir, { recursive: true });
    const t0 = Date.now();
    const nets = await createSiteNets(this.options.siteNamespaces ?? [], this.inventory, this.#say);
    for (const net of nets.nets) this.siteNets.set(net.site, net);
    this.siteNetProblem = nets.problem;
    if (!this.options.insecure) {
      this.security = await FederationPki.create(dir, {
        regions: this.regions,
        cloudServers: 3,
        // a site in a network namespace reaches its leafnode at the host end of its veth
        extraHosts: nets.nets.map((n) => n.hostAddress),
      });
      this.#observer = join(await this.security.admin(), "nats.creds");
      this.#say(`PKI: a CA and NATS operator in ${join(dir, "pki")}; every process gets its own bundle`);
    }
    this.nats = await startNatsDeployment({
      regions: this.regions,
      dir: join(dir, "nats"),
      ...(this.security ? { secure: this.security.nats } : {}),
    });
    this.#say(
      `NATS: ${this.nats.cloud.length} cloud servers with JetStream, leafnodes for ${this.regions.join(", ")} (${Date.now() - t0} ms)`,
    );
    await relaySiteNets(this.siteNets.values(), this.inventory, this.nats, this.#say);
    await this.#startKb();
    for (const region of this.regions) await this.#startRegion(region);
    await this.#applyRegions();
    await this.#startDevices();
  }

  async #startKb(): Promise<void> {
    const dataDir = join(this.options.dir, "kb");
    mkdirSync(dataDir, { recursive: true });
    this.tokens = await createKbTokens(dataDir);
    const grpc = `127.0.0.1:${await freePort()}`;
    const http = `127.0.0.1:${await freePort()}`;
    const scheme = this.security ? "https" : "http";
    this.kb = {
      process: await this.#spawnKb(dataDir, grpc, http),
      grpc,
      http: `${scheme}://${http}`,
      dataDir,
    };
    this.rest = new KbRest(this.kb.http, this.tokens.operator, this.security?.caPem);
    await this.#kbReady();
    this.#say(`Knowledge Base: gRPC ${grpc}, HTTP ${this.kb.http} (pid ${this.kb.process.pid})`);
  }

  async #kbReady(): Promise<void> {
    const { process } = this.kb;
    await waitUntil(
      "the Knowledge Base",
      async () => process.running() && httpOk(`${this.kb.http}/readyz`, this.security?.caPem),
      60_000,
    );
  }

  /** Stops the Knowledge Base (SIGTERM); `startKb` brings it back on the same addresses and data. */
  async stopKb(): Promise<void> {
    await this.kb.process.stop(5000);
  }

  async startKb(): Promise<void> {
    const http = this.kb.http.replace(/^https?:\/\//, "");
    this.kb.process = await this.#spawnKb(this.kb.dataDir, this.kb.grpc, http);
    await this.#kbReady();
  }

  #spawnKb(dataDir: string, grpc: string, http: string): Promise<OsProcess> {
    return spawnKb({ dataDir, grpc, http, natsUrls: this.nats.cloudUrls(), security: this.security });
  }

  async #startRegion(region: string): Promise<void> {
    const leads = await startFogLeads({
      dir: this.options.dir,
      region,
      count: this.options.leadsPerRegion ?? 3,
      natsUrl: this.nats.leaves[region]?.url ?? "",
      kbGrpc: this.kb.grpc,
      security: this.security,
    });
    this.fog.set(region, leads);
    this.#say(
      `region ${region}: ${leads.length} fog leads (pids ${leads.map((l) => l.process.pid).join(", ")}), a leader elected`,
    );
  }

  /** Starts a fog lead again (after a kill) with its data directory as it was. */
  restartLead(lead: FogLeadProcess): void {
    lead.process = spawnFogLead(lead.configFile, lead.region, lead.id);
  }

  async #applyRegions(): Promise<void> {
    const file = join(this.options.dir, "regions.yaml");
    const docs = this.regions.map((region) =>
      [
        "apiVersion: qonnect.io/v1alpha1",
        "kind: Region",
        `metadata: { name: ${region} }`,
        `spec: { fogLeads: [${(this.fog.get(region) ?? []).map((l) => JSON.stringify(l.grpc)).join(", ")}] }`,
      ].join("\n"),
    );
    writeFileSync(file, `${docs.join("\n---\n")}\n`);
    await cliOk(["apply", "-f", file, ...this.serverFlags("admin")]);
  }

  #selectedDevices(): Device[] {
    const wanted = this.options.devices ? new Set(this.options.devices) : undefined;
    return this.inventory.devices.filter(
      (d) => d.alive && this.regions.includes(d.region) && (!wanted || wanted.has(d.name)),
    );
  }

  async #startDevices(): Promise<void> {
    const devices = this.#selectedDevices();
    if (this.security)
      for (const device of devices)
        await this.security.enroll(
          { region: device.region, role: "device", id: device.name },
          { nats: [this.nats.leaves[device.region]?.url ?? ""] },
        );
    for (const device of devices) this.startDevice(device);
    this.#say(
      `devices: ${devices.length} agents, each in its own PID namespace (emulated INA219, process runtime)`,
    );
  }

  /** Starts (or starts again) the agent of `device` in a PID namespace of its own. */
  startDevice(device: Device): DeviceProcess {
    const proc = spawnDeviceAgent({
      dir: this.options.dir,
      device,
      natsUrl: this.nats.leaves[device.region]?.url ?? "",
      samplePeriodMs: this.options.samplePeriodMs ?? 1000,
      net: this.siteNets.get(device.site),
      bundleDir: this.security
        ? join(this.security.dir, "bundles", `${device.region}-device-${device.name}`)
        : undefined,
    });
    this.#deviceProcesses.push(proc.process);
    this.devices.set(device.name, proc);
    return proc;
  }

  /** Sets the sun on a device's emulated board (its panel's output, W); the agent reads it at its next sample. */
  setSolar(name: string, solarW: number): void {
    writeFileSync(solarFileOf(deviceDirOf(this.options.dir, name)), `${solarW}\n`);
  }

  /** kill -9 of the device's whole process group: agent and workloads die at once. */
  async killDevice(name: string): Promise<void> {
    await this.devices.get(name)?.process.kill();
  }

  /** The region as its fog leads see it (the freshest member's view), read over FogLead.GetRegion. */
  async regionState(region: string): Promise<fogV1.RegionState | undefined> {
    const client = new FogClient(
      (this.fog.get(region) ?? []).map((l) => l.grpc),
      ...(this.security ? [await this.security.fogCredentials()] : []),
    );
    try {
      const views = (await client.status(region)).flatMap((v) => (v.region ? [v.region] : []));
      return views.reduce<fogV1.RegionState | undefined>(
        (a, b) => (!a || b.term > a.term || (b.term === a.term && b.commitIndex > a.commitIndex) ? b : a),
        undefined,
      );
    } finally {
      client.close();
    }
  }

  /** The region's leader as the Knowledge Base last heard it (from the Region resource). */
  async leaderOf(region: string): Promise<FogLeadProcess | undefined> {
    const r = await this.rest.get<{ status?: { leaderId?: number } }>("regions", region);
    const id = r?.status?.leaderId;
    return this.fog.get(region)?.find((l) => l.id === id);
  }

  state(): DemoState {
    return {
      schema: 1,
      kb: { http: this.kb.http, grpc: this.kb.grpc, pid: this.kb.process.pid },
      token: this.tokens.operator,
      tokens: this.tokens,
      ca: this.security?.caFile ?? null,
      credentials: { observer: this.#observer ?? null },
      nats: this.nats.cloudUrls(),
      natsLeaf: Object.fromEntries(Object.entries(this.nats.leaves).map(([r, s]) => [r, s.url])),
      regions: Object.fromEntries(
        [...this.fog].map(([region, leads]) => [
          region,
          { fog: leads.map((l) => ({ id: l.id, grpc: l.grpc, pid: l.process.pid })) },
        ]),
      ),
      devices: [...this.devices.values()].map((d) => ({
        name: d.device.name,
        region: d.device.region,
        site: d.device.site,
        pid: d.process.pid,
        pgid: d.process.pgid,
      })),
    };
  }

  /**
   * Stops every process it started, by PID: devices, fog leads, the Knowledge Base, then NATS, and removes the
   * site namespaces. Returns once every device's process group is empty (a workload that outlived its agent
   * is SIGKILLed); throws FederationStopError naming the groups that would not empty.
   */
  async stop(): Promise<void> {
    await Promise.all([...this.devices.values()].map((d) => d.process.stop(3000)));
    const reaped = await Promise.all(this.#deviceProcesses.map((p) => p.reapGroup(30_000)));
    await Promise.all([...this.fog.values()].flat().map((l) => l.process.stop(3000)));
    await this.kb?.process.stop(5000);
    await this.nats?.stop();
    for (const net of this.siteNets.values()) await net.remove();
    this.siteNets.clear();
    const left = this.#deviceProcesses.filter((_, i) => !reaped[i]).map((p) => p.pgid);
    if (left.length) throw new FederationStopError(left);
  }
}
