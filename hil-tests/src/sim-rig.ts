// The simulated rig: the same rig file, with the region's real processes on this machine. @qonnect/sim's
// Federation brings up the NATS deployment (cloud cluster + the region's leafnode), the Knowledge Base and one
// fog lead per fog board (its "power" is the fog lead's process group); each device board is a SimBoard (a
// network namespace from the test kit's private network, a real agent in a PID namespace, an electrical model).
// The rig's meters are INA219 emulators on virtual I2C buses fed from the same electrical model, network
// control is nftables inside each board's namespace. Every relay is guarded: the driver's exit or crash
// powers every board off (safe-state.ts).
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { sendDeviceCommand } from "@qonnect/agent";
import { mulberry32 } from "@qonnect/core";
import { loopbackPort } from "@qonnect/fog";
import { loadBundle, natsConnectOptions } from "@qonnect/pki";
import type { fogV1, telemetryV1 } from "@qonnect/proto";
import { Federation, LOOPBACK_PORT_BASE, useBundledCli } from "@qonnect/sim";
import { createPrivateNet, type PrivateNet, REPO_ROOT } from "@qonnect/testkit";
import type { ConnectionOptions } from "nats";
import { stringify } from "yaml";
import { seenByChip } from "./electrical-model.js";
import { FogBoardSwitch } from "./fog-board-switch.js";
import { EmulatedMeterBuses, type Meter } from "./meter.js";
import { NftNetworkControl } from "./network-control.js";
import type { PowerSwitch } from "./relay.js";
import { application, inventory } from "./rig-application.js";
import type { Board, RigManifest } from "./rig-manifest.js";
import { HIL_APP, HIL_SERVICE, type RigUnderTest } from "./rig-under-test.js";
import { SafeStateGuard } from "./safe-state.js";
import { BOARD_NATS_PORT, SimBoard } from "./sim-board.js";
import { TelemetryLog } from "./telemetry-log.js";

const run = promisify(execFile);

export interface SimRigOptions {
  dir: string;
  cliBundle: string;
  /** Device boards to run (all device boards of the rig when left out). */
  devices?: Board[];
  say?: (line: string) => void;
}

export class SimRig implements RigUnderTest {
  readonly region: string;
  readonly fogBoards: Board[];
  readonly devices: Board[];
  readonly guard = new SafeStateGuard();
  readonly boards = new Map<string, SimBoard>();
  readonly #fogSwitches = new Map<string, FogBoardSwitch>();
  readonly #meters = new Map<string, Meter>();
  readonly #networks = new Map<string, NftNetworkControl>();
  fed!: Federation;
  net!: PrivateNet;
  telemetry!: TelemetryLog;
  /** How the rig itself (telemetry log, raw commands) connects to the leafnode: its bundle, or plaintext. */
  #nats: Partial<ConnectionOptions> = {};

  private constructor(
    readonly manifest: RigManifest,
    readonly options: SimRigOptions,
  ) {
    this.region = manifest.spec.regions[0]!.name;
    this.fogBoards = manifest.spec.boards.filter((b) => b.role === "fog" && b.region === this.region);
    this.devices =
      options.devices ?? manifest.spec.boards.filter((b) => b.role === "device" && b.region === this.region);
  }

  static async start(manifest: RigManifest, options: SimRigOptions): Promise<SimRig> {
    const rig = new SimRig(manifest, options);
    try {
      await rig.#start();
    } catch (err) {
      await rig.stop();
      throw err;
    }
    return rig;
  }

  #say(line: string): void {
    this.options.say?.(line);
  }

  #guardAll(): void {
    this.guard.update([...this.boards.values(), ...this.#fogSwitches.values()].map((s) => s.safeAction()));
  }

  async #start(): Promise<void> {
    const { dir } = this.options;
    mkdirSync(dir, { recursive: true });
    useBundledCli(this.options.cliBundle);
    const sim = this.manifest.spec.simulation ?? {
      seed: 1,
      samplePeriodMs: 500,
      boardSensor: undefined,
      rigMeter: undefined,
    };
    const noError = { gainFraction: 0, offsetA: 0, noiseA: 0 };
    const inventoryFile = join(dir, "inventory.yaml");
    writeFileSync(inventoryFile, stringify(inventory(this.manifest, this.devices, this.region)));
    this.fed = await Federation.start({
      dir: join(dir, "federation"),
      inventoryFile,
      regions: [this.region],
      devices: [],
      // secure by default (DESIGN.md §10): the federation's CA issues the NATS servers', the Knowledge
      // Base's and the fog leads' bundles; the rig issues its boards' and its own from the same CA below
      insecure: this.manifest.spec.security === "insecure",
      leadsPerRegion: Math.max(3, this.fogBoards.length),
      say: (l) => this.#say(l),
    });
    for (const [i, b] of this.fogBoards.entries())
      this.#fogSwitches.set(b.name, new FogBoardSwitch(b.name, this.fed, this.region, i + 1));
    const leafUrl = this.fed.nats.leaves[this.region]?.url ?? "";
    const pki = this.fed.security;
    if (pki) {
      // the rig host's own identity: a fog-role bundle of the region reads its telemetry and may command its
      // devices (the suite's raw stale command), as `qonnect enroll fog hil-rig --region R` makes it
      const own = await pki.enroll({ region: this.region, role: "fog", id: "hil-rig" }, { nats: [leafUrl] });
      this.#nats = natsConnectOptions(loadBundle(own), [leafUrl]);
      this.#say(`PKI: bundles for ${this.devices.length} boards and the rig host from the region's CA`);
    }
    this.telemetry = await TelemetryLog.open([leafUrl], this.region, this.#nats);
    this.net = createPrivateNet(this.devices.map((_, i) => i + 1));
    const buses = new EmulatedMeterBuses();
    // the leafnode as a board sees it: the bridge inside its namespace (127.0.0.1 is in the leaf's certificate)
    const boardNatsUrl = `${new URL(leafUrl).protocol}//127.0.0.1:${BOARD_NATS_PORT}`;
    const meterRandom = mulberry32(sim.seed + 1000);
    for (const [i, b] of this.devices.entries()) {
      // what `qonnect enroll device NAME --region R` writes and `qonnect flash` installs on a real board
      const bundle = pki
        ? await pki.enroll({ region: this.region, role: "device", id: b.name }, { nats: [boardNatsUrl] })
        : undefined;
      const board = new SimBoard({
        board: b,
        netns: this.net.ns(i + 1),
        dir: join(dir, "boards"),
        leafAddress: new URL(leafUrl).host,
        cliBundle: this.options.cliBundle,
        boardSensor: sim.boardSensor ?? noError,
        seed: sim.seed + i,
        agentConfig: (truthFile, dataDir) => ({
          device: b.name,
          region: this.region,
          site: b.labels.site ?? b.name,
          tier: "edge",
          labels: b.labels,
          nats: { servers: [boardNatsUrl], reconnectWaitMs: 200, ...(bundle ? { bundle } : {}) },
          sensors: {
            mode: "emulate",
            emulate: { busVoltageV: 5.1, currentA: 0, shuntResistanceOhm: 0.1, truthFile },
          },
          runtime: { kind: "process", workDir: REPO_ROOT, stopGraceMs: 2000 },
          power: { idleW: b.profile.idleW, maxW: b.profile.maxW, gamma: 1 },
          samplePeriodMs: sim.samplePeriodMs,
          dataDir,
          http: { host: "127.0.0.1", port: 0 },
          log: { level: "warn" },
        }),
      });
      this.boards.set(b.name, board);
      await board.install();
      if (b.meter)
        this.#meters.set(
          b.name,
          await buses.open(b.meter, b.name, () =>
            seenByChip(board.truth(), sim.rigMeter ?? noError, meterRandom),
          ),
        );
      if (b.network)
        this.#networks.set(
          b.name,
          new NftNetworkControl({
            onChange: (cut) => board.setCut(cut),
            board: b.name,
            netns: this.net.ns(i + 1),
            hooks: ["output"],
            matches: [
              ["tcp", "dport", String(BOARD_NATS_PORT)],
              ["tcp", "sport", String(BOARD_NATS_PORT)],
            ],
          }),
        );
    }
    for (const board of this.boards.values()) await board.set(true);
    this.#guardAll();
    this.#say(
      `boards: ${this.devices.map((b) => b.name).join(", ")} powered on (network and PID namespaces)`,
    );
    await this.#apply([inventoryFile, this.#write("app.yaml", application(this.manifest, this.region))]);
  }

  #write(name: string, value: Record<string, unknown>): string {
    const file = join(this.options.dir, name);
    writeFileSync(file, stringify(value));
    return file;
  }

  async #apply(files: string[]): Promise<void> {
    await run(
      process.execPath,
      [
        this.options.cliBundle,
        "apply",
        ...files.flatMap((f) => ["-f", f]),
        ...this.fed.serverFlags("operator"),
      ],
      {
        timeout: 120_000,
      },
    );
  }

  power(board: string): PowerSwitch | undefined {
    const s = this.boards.get(board) ?? this.#fogSwitches.get(board);
    if (!s) return undefined;
    // re-arm the guard after every switch: a simulated board's process group changes on every boot
    return {
      board: s.board,
      get on() {
        return s.on;
      },
      set: async (on: boolean) => {
        await s.set(on);
        this.#guardAll();
      },
      safeAction: () => s.safeAction(),
      close: () => s.close(),
    };
  }

  meter(board: string): Meter | undefined {
    return this.#meters.get(board);
  }

  network(board: string): NftNetworkControl | undefined {
    return this.#networks.get(board);
  }

  async regionState(): Promise<fogV1.RegionState | undefined> {
    return this.fed.regionState(this.region);
  }

  fogBoardOf(memberId: number): Board | undefined {
    return this.fogBoards[memberId - 1];
  }

  replicaPort(replica: number): number {
    return loopbackPort(LOOPBACK_PORT_BASE, HIL_APP, HIL_SERVICE, replica);
  }

  async answers(board: string, port: number): Promise<boolean> {
    const b = this.boards.get(board);
    if (!b) return false;
    try {
      const out = await b.exec("curl", ["-s", "-f", "-m", "2", `http://127.0.0.1:${port}/`]);
      return out.length > 0;
    } catch {
      return false;
    }
  }

  async command(board: string, command: telemetryV1.DeviceCommand): Promise<telemetryV1.CommandAck> {
    return sendDeviceCommand(
      [this.fed.nats.leaves[this.region]?.url ?? ""],
      this.region,
      { ...command, device: board },
      15_000,
      this.#nats,
    );
  }

  async stop(): Promise<void> {
    const t0 = Date.now();
    for (const n of this.#networks.values()) await n.restore().catch(() => {});
    await Promise.all([...this.boards.values()].map((b) => b.close()));
    await this.telemetry?.close();
    this.net?.remove();
    const t1 = Date.now();
    await this.fed?.stop();
    this.guard.close();
    this.#say(
      `stopped: boards in ${Date.now() - t0 - (Date.now() - t1)} ms, the region in ${Date.now() - t1} ms`,
    );
  }
}
