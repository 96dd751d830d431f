// One board of the simulated rig: a network namespace (from the test kit's private network) in which a real
// agent (`qonnect agent run`, the bundled CLI) runs as the first process of a PID namespace of its own. Its
// power is its processes: off is SIGKILL to the whole PID namespace at once (the kernel kills every process
// in it when its first process dies, workloads included), on boots the agent again on the same data
// directory. Its NATS link is a Unix-socket bridge (nats-bridge-ns.mjs) that survives power cycles, and its
// electrical model keeps the truth file the agent's emulated INA219 reads and the truth the rig's meter reads.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { mulberry32 } from "@qonnect/core";
import type { Ina219Truth } from "@qonnect/energy";
import { OsProcess } from "@qonnect/sim";
import { stringify } from "yaml";
import { boardTruth, seenByChip } from "./electrical-model.js";
import type { PowerSwitch } from "./relay.js";
import type { Board, SensorErrorSpec } from "./rig-manifest.js";
import type { SafeAction } from "./safe-state.js";

const run = promisify(execFile);
const BRIDGE_MAIN = join(import.meta.dirname, "nats-bridge-ns.mjs");
/** The port the agent dials inside its namespace; the bridge forwards it to the region's leafnode. */
export const BOARD_NATS_PORT = 4222;
const CORES = 4;
const CLOCK_TICKS_PER_S = 100;

export interface SimBoardOptions {
  board: Board;
  netns: string;
  dir: string;
  /** host:port of the region's leafnode (host namespace). */
  leafAddress: string;
  cliBundle: string;
  boardSensor: SensorErrorSpec;
  seed: number;
  /** The agent's configuration, given the truth file path. */
  agentConfig: (truthFile: string, dataDir: string) => Record<string, unknown>;
}

/** CPU seconds used so far by every process in the PID namespace of `pid` (user + system, from /proc). */
function namespaceCpuS(pid: number): number {
  let nsLink: string;
  try {
    nsLink = readlinkSync(`/proc/${pid}/ns/pid_for_children`);
  } catch {
    return 0;
  }
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== nsLink) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended while we looked
    }
  }
  return ticks / CLOCK_TICKS_PER_S;
}

export class SimBoard implements PowerSwitch {
  readonly truthFile: string;
  readonly dataDir: string;
  readonly configFile: string;
  #agent: OsProcess | undefined;
  #bridge: OsProcess | undefined;
  #bridgeServer: Server | undefined;
  #timer: NodeJS.Timeout | undefined;
  #truth: Ina219Truth = { busVoltageV: 0, currentA: 0 };
  #cpu = { atMs: 0, cpuS: 0, util: 0 };
  #boots = 0;
  /** While the board's network is cut, a connection the agent gives up on stays open towards the leafnode. */
  #cut = false;
  readonly #stale = new Set<Socket>();
  readonly #random: () => number;

  constructor(readonly options: SimBoardOptions) {
    const dir = join(options.dir, options.board.name);
    mkdirSync(dir, { recursive: true });
    this.truthFile = join(dir, "truth.json");
    this.dataDir = join(dir, "data");
    this.configFile = join(dir, "agent.yaml");
    this.#random = mulberry32(options.seed);
  }

  get board(): string {
    return this.options.board.name;
  }

  get on(): boolean {
    return this.#agent?.running() ?? false;
  }

  /** How many times the board was powered on. */
  get boots(): number {
    return this.#boots;
  }

  /** The true bus voltage and current now (the rig meter's scenario reads it). */
  truth(): Ina219Truth {
    return this.#truth;
  }

  get agentProcess(): OsProcess | undefined {
    return this.#agent;
  }

  /** Starts the NATS bridge and the electrical model; the board stays off. */
  async install(): Promise<void> {
    const socket = join(this.options.dir, this.board, "nats.sock");
    const [host, port] = this.options.leafAddress.split(":");
    this.#bridgeServer = createServer((inbound) => {
      const outbound = tcpConnect(Number(port), host);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      const close = () => {
        inbound.destroy();
        // a cable that is cut carries no FIN: the leafnode must not hear that the agent gave up
        if (this.#cut && !outbound.destroyed) this.#stale.add(outbound);
        else outbound.destroy();
      };
      for (const s of [inbound, outbound]) {
        s.on("error", close);
        s.on("close", close);
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.#bridgeServer!.once("error", reject);
      this.#bridgeServer!.listen(socket, resolve);
    });
    this.#bridge = new OsProcess({
      label: `bridge ${this.board}`,
      command: "ip",
      args: [
        "netns",
        "exec",
        this.options.netns,
        process.execPath,
        BRIDGE_MAIN,
        String(BOARD_NATS_PORT),
        socket,
      ],
      logFile: join(this.options.dir, this.board, "bridge.log"),
    });
    this.writeConfig();
    this.#timer = setInterval(() => this.#step(), 250);
    this.#timer.unref();
  }

  writeConfig(): void {
    writeFileSync(this.configFile, stringify(this.options.agentConfig(this.truthFile, this.dataDir)), {
      mode: 0o600,
    });
  }

  #step(): void {
    const nowMs = Date.now();
    const pid = this.#agent?.running() ? this.#agent.pid : -1;
    if (pid > 0) {
      const cpuS = namespaceCpuS(pid);
      const dtS = (nowMs - this.#cpu.atMs) / 1000;
      if (this.#cpu.atMs > 0 && dtS > 0 && cpuS >= this.#cpu.cpuS)
        this.#cpu.util = Math.min(1, (cpuS - this.#cpu.cpuS) / dtS / CORES);
      this.#cpu = { atMs: nowMs, cpuS, util: this.#cpu.util };
    } else this.#cpu = { atMs: 0, cpuS: 0, util: 0 };
    this.#truth = boardTruth(this.options.board.profile, { powered: pid > 0, cpuUtil: this.#cpu.util });
    // what the board's own INA219 sees, through its own errors; written atomically (rename)
    const seen = seenByChip(this.#truth, this.options.boardSensor, this.#random);
    try {
      writeFileSync(`${this.truthFile}.tmp`, JSON.stringify(seen));
      renameSync(`${this.truthFile}.tmp`, this.truthFile);
    } catch {
      // the rig is stopping
    }
  }

  async set(on: boolean): Promise<void> {
    if (on === this.on) return;
    if (!on) {
      await this.#agent?.kill();
      this.#step();
      return;
    }
    this.#agent = new OsProcess({
      label: `board ${this.board}`,
      command: "ip",
      args: [
        "netns",
        "exec",
        this.options.netns,
        process.execPath,
        this.options.cliBundle,
        "agent",
        "run",
        "--config",
        this.configFile,
      ],
      logFile: join(this.options.dir, this.board, "agent.log"),
      pidNamespace: true,
    });
    this.#boots++;
    this.#step();
  }

  /**
   * Marks the board's link cut or restored (the nft rules do the cutting): while cut, connections the agent
   * abandons are not closed towards the leafnode, as nothing would reach it through a dead link; they stay
   * open until the server drops them or the rig stops.
   */
  setCut(cut: boolean): void {
    this.#cut = cut;
  }

  safeAction(): SafeAction {
    return { kind: "kill", pgid: this.#agent?.running() ? this.#agent.pgid : -1 };
  }

  /** Runs a command inside the board's network namespace (curl for a workload's port). */
  async exec(command: string, args: string[], timeoutMs = 5000): Promise<string> {
    return (await run("ip", ["netns", "exec", this.options.netns, command, ...args], { timeout: timeoutMs }))
      .stdout;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#agent?.stop(3000);
    await this.#bridge?.stop(3000);
    for (const s of this.#stale) s.destroy();
    await new Promise((r) => (this.#bridgeServer ? this.#bridgeServer.close(r) : r(undefined)));
  }
}
