// Cuts and restores a board's network with nftables, silently (drop, no reset), as a pulled cable or a dead
// switch port would. On a real rig the rules sit in the rig host's forward chain and match the board's
// address; on the simulated rig they sit in the board's own network namespace and match its link to the
// region's NATS (so the board's loopback, its workloads' ports, keep working).
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export class NetworkControlError extends Error {
  override name = "NetworkControlError";
  constructor(
    readonly board: string,
    detail: string,
  ) {
    super(
      `cannot change the network of ${board}: ${detail}; the rig needs nftables (apt-get install -y nftables) and root`,
    );
  }
}

export interface NetworkControl {
  cut(): Promise<void>;
  restore(): Promise<void>;
  readonly isCut: boolean;
}

export interface NftTarget {
  board: string;
  /** Run nft inside this network namespace (simulated rig); the rig host's namespace when left out. */
  netns?: string;
  /** The rule matches, e.g. [["ip", "saddr", "10.0.0.11"], ["ip", "daddr", "10.0.0.11"]]; one drop rule each. */
  matches: string[][];
  /** The hook: forward on a rig host that routes for the board, output/input inside a board namespace. */
  hooks: ("forward" | "output" | "input")[];
  /** Told before a cut and after a restore (the simulated rig's bridge holds abandoned connections open). */
  onChange?: (cut: boolean) => void;
}

/** nftables drop rules in a table of their own (`inet qonnect_hil_<board>`), deleted as a whole on restore. */
export class NftNetworkControl implements NetworkControl {
  #cut = false;
  readonly table: string;

  constructor(readonly target: NftTarget) {
    this.table = `qonnect_hil_${target.board.replace(/[^a-zA-Z0-9_]/g, "_")}`;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  async #nft(script: string): Promise<void> {
    const [cmd, args] = this.target.netns
      ? ["ip", ["netns", "exec", this.target.netns, "nft", "-f", "-"]]
      : ["nft", ["-f", "-"]];
    try {
      const child = run(cmd as string, args as string[], { timeout: 10_000 });
      child.child.stdin?.end(script);
      await child;
    } catch (err) {
      throw new NetworkControlError(
        this.target.board,
        String((err as { stderr?: string }).stderr || (err as Error).message).trim(),
      );
    }
  }

  /** The nft script of a cut (exposed for tests and docs). */
  cutScript(): string {
    const lines = [`table inet ${this.table} {`];
    for (const hook of this.target.hooks) {
      lines.push(`  chain ${hook} {`, `    type filter hook ${hook} priority -10; policy accept;`);
      for (const m of this.target.matches) lines.push(`    ${m.join(" ")} drop`);
      lines.push("  }");
    }
    lines.push("}");
    return `${lines.join("\n")}\n`;
  }

  async cut(): Promise<void> {
    this.target.onChange?.(true);
    await this.#nft(this.cutScript());
    this.#cut = true;
  }

  async restore(): Promise<void> {
    if (!this.#cut) return;
    await this.#nft(`delete table inet ${this.table}\n`);
    this.#cut = false;
    this.target.onChange?.(false);
  }
}
