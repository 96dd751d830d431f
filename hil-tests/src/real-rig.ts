// A rig of real boards: relays through onoff (or gpioset), the rig's INA219 breakouts over /dev/i2c-N, nft
// drop rules in the rig host's forward chain (the host routes between the boards and the region), the
// region's NATS leafnode and fog leads named in the rig file, and workloads probed over SSH. Relays start at
// their safe state and return to it when the driver ends, however it ends (safe-state.ts). A secure rig (the
// default) checks every board's bundle names that board before any relay switches (rig-bundles.ts), and
// reaches NATS and the fog leads with the rig host's own bundle for the region.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { sendDeviceCommand } from "@qonnect/agent";
import { FogClient, fogClientCredentials, loopbackPort } from "@qonnect/fog";
import { type Bundle, natsConnectOptions } from "@qonnect/pki";
import type { fogV1, telemetryV1 } from "@qonnect/proto";
import { LOOPBACK_PORT_BASE } from "@qonnect/sim";
import { findGpioLine } from "./gpio-line.js";
import { type Meter, openRealMeter } from "./meter.js";
import { NftNetworkControl } from "./network-control.js";
import { openRelay, type PowerSwitch } from "./relay.js";
import { checkRigBundles } from "./rig-bundles.js";
import type { Board, RigManifest } from "./rig-manifest.js";
import { HIL_APP, HIL_SERVICE, type RigUnderTest } from "./rig-under-test.js";
import { SafeStateGuard } from "./safe-state.js";
import { TelemetryLog } from "./telemetry-log.js";

const run = promisify(execFile);

export interface RealRigOptions {
  devices: Board[];
  /** The rig file's directory: bundle paths in it are relative to it. */
  baseDir: string;
}

export class RealRig implements RigUnderTest {
  readonly region: string;
  readonly fogBoards: Board[];
  readonly guard = new SafeStateGuard();
  readonly #relays = new Map<string, PowerSwitch>();
  readonly #meters = new Map<string, Meter>();
  readonly #networks = new Map<string, NftNetworkControl>();
  telemetry!: TelemetryLog;
  /** The rig host's bundle for the region (secure rigs). */
  #bundle: Bundle | undefined;

  private constructor(
    readonly manifest: RigManifest,
    readonly devices: Board[],
  ) {
    this.region = manifest.spec.regions[0]!.name;
    this.fogBoards = manifest.spec.boards.filter((b) => b.role === "fog" && b.region === this.region);
  }

  static async open(manifest: RigManifest, o: RealRigOptions): Promise<RealRig> {
    const rig = new RealRig(manifest, o.devices);
    // before any relay: a board holding another identity would report as someone else
    if (manifest.spec.security === "secure")
      rig.#bundle = checkRigBundles(manifest, [...o.devices, ...rig.fogBoards], o.baseDir).rig.get(
        rig.region,
      );
    try {
      for (const b of [...o.devices, ...rig.fogBoards]) {
        if (b.power) {
          rig.#relays.set(
            b.name,
            await openRelay(b.name, b.power.relay, (chip, line) => findGpioLine(chip, line)),
          );
          rig.guard.update([...rig.#relays.values()].map((r) => r.safeAction()));
        }
        if (b.meter) rig.#meters.set(b.name, await openRealMeter(b.meter, b.name));
        if (b.network) {
          const a = b.network.address;
          rig.#networks.set(
            b.name,
            new NftNetworkControl({
              board: b.name,
              hooks: ["forward"],
              matches: [
                ["ip", "saddr", a],
                ["ip", "daddr", a],
              ],
            }),
          );
        }
      }
      // relays opened at their safe state; a rig whose safe state is off powers the boards up now
      for (const r of rig.#relays.values()) await r.set(true);
      rig.guard.update([...rig.#relays.values()].map((r) => r.safeAction()));
      const region = manifest.spec.regions[0]!;
      rig.telemetry = await TelemetryLog.open(region.nats, rig.region, rig.#natsOptions());
    } catch (err) {
      await rig.stop();
      throw err;
    }
    return rig;
  }

  #natsOptions() {
    return this.#bundle ? natsConnectOptions(this.#bundle, this.manifest.spec.regions[0]!.nats) : {};
  }

  power(board: string): PowerSwitch | undefined {
    const r = this.#relays.get(board);
    if (!r) return undefined;
    // re-arm the guard after every switch: a gpioset relay holds its line with a new process each time
    return {
      board: r.board,
      get on() {
        return r.on;
      },
      set: async (on: boolean) => {
        await r.set(on);
        this.guard.update([...this.#relays.values()].map((x) => x.safeAction()));
      },
      safeAction: () => r.safeAction(),
      close: () => r.close(),
    };
  }

  meter(board: string): Meter | undefined {
    return this.#meters.get(board);
  }

  network(board: string): NftNetworkControl | undefined {
    return this.#networks.get(board);
  }

  async regionState(): Promise<fogV1.RegionState | undefined> {
    const client = new FogClient(
      this.manifest.spec.regions[0]!.fogLeads,
      ...(this.#bundle ? [fogClientCredentials(this.#bundle, this.region)] : []),
    );
    try {
      const views = (await client.status(this.region)).flatMap((v) => (v.region ? [v.region] : []));
      return views.reduce<fogV1.RegionState | undefined>(
        (a, b) => (!a || b.term > a.term || (b.term === a.term && b.commitIndex > a.commitIndex) ? b : a),
        undefined,
      );
    } finally {
      client.close();
    }
  }

  /** Fog boards are listed in member-id order, as spec.regions[].fogLeads is. */
  fogBoardOf(memberId: number): Board | undefined {
    return this.fogBoards[memberId - 1];
  }

  replicaPort(replica: number): number {
    return loopbackPort(LOOPBACK_PORT_BASE, HIL_APP, HIL_SERVICE, replica);
  }

  async answers(board: string, port: number): Promise<boolean> {
    const b = this.devices.find((d) => d.name === board);
    if (!b) return false;
    const [target, sshPort] = b.ssh.split(/:(?=\d+$)/);
    try {
      await run(
        "ssh",
        [
          ...(sshPort ? ["-p", sshPort] : []),
          "-o",
          "BatchMode=yes",
          "-o",
          "ConnectTimeout=3",
          target!,
          "curl",
          "-s",
          "-f",
          "-m",
          "2",
          `http://127.0.0.1:${port}/`,
        ],
        { timeout: 10_000 },
      );
      return true;
    } catch {
      return false;
    }
  }

  async command(board: string, command: telemetryV1.DeviceCommand): Promise<telemetryV1.CommandAck> {
    return sendDeviceCommand(
      this.manifest.spec.regions[0]!.nats,
      this.region,
      { ...command, device: board },
      15_000,
      this.#natsOptions(),
    );
  }

  async stop(): Promise<void> {
    for (const n of this.#networks.values()) await n.restore().catch(() => {});
    for (const r of this.#relays.values()) await r.close().catch(() => {});
    await this.telemetry?.close();
    this.guard.close();
  }
}
