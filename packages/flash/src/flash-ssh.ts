import { posix } from "node:path";
import { type DeviceConfig, loadDeviceConfig } from "./device-config.js";
import { BoardScriptError, ReleaseError } from "./errors.js";
import { boardScript, DEFAULT_BUNDLE_DIR, DEFAULT_UNIT_FILE, shellQuote } from "./firmware-scripts.js";
import { buildPayload, type Payload, readUnitFile } from "./payload.js";
import { type FlashPlan, planFlash } from "./plan.js";
import { type BoardFacts, parseProbe } from "./probe.js";
import { loadRelease, type Release } from "./release.js";
import { parseSshTarget, type SshOptions, SshSession } from "./ssh-session.js";

/** What happens during a flash, for progress displays. */
export type FlashEvent =
  | { kind: "connected"; target: string }
  | { kind: "probed"; target: string; facts: BoardFacts }
  | { kind: "plan"; target: string; plan: FlashPlan }
  | { kind: "upload"; target: string; sentBytes: number; totalBytes: number }
  | { kind: "board"; target: string; line: string };

export interface FlashOptions extends SshOptions {
  /** ssh://USER@HOST[:PORT] */
  target: string;
  device: DeviceConfig | string;
  /** agent bundle directory (default dist/agent) or an already loaded release */
  release?: string | Release;
  /** a Node binary for the board's architecture, shipped in the release as bin/node */
  node?: string;
  /** the systemd unit to install (default infra/systemd/qonnect-agent.service) */
  unitFile?: string;
  dryRun?: boolean;
  onEvent?: (event: FlashEvent) => void;
}

export interface FlashResult {
  target: string;
  version: string;
  facts: BoardFacts;
  plan: FlashPlan;
  /** what `apply` changed (0 on a run with nothing to do, and on a dry run) */
  changed: number;
  health: "ok" | "skipped" | "rolled-back" | "failed" | "dry-run" | "unchanged";
  rebootRequired: boolean;
  /** the board script's output lines */
  lines: string[];
}

/** Where uploads wait on the board until `apply` installs them (kept after a failure: the next run resumes). */
export function stagingDir(version: string): string {
  return `/var/tmp/qonnect-flash/${version}`;
}

async function probeBoard(ssh: SshSession, payloadTargets: string[], version: string): Promise<BoardFacts> {
  const args = ["probe", version, ...payloadTargets].map(shellQuote).join(" ");
  const r = await ssh.exec(`${sudo(ssh)}sh -s -- ${args}`, "probing the board", boardScript());
  if (r.code !== 0)
    throw new BoardScriptError(
      ssh.target.url,
      r.code,
      r.stdout.split("\n"),
      `probe failed: ${r.stderr.trim()}`,
    );
  return parseProbe(r.stdout);
}

function sudo(ssh: SshSession): string {
  return ssh.target.user === "root" ? "" : "sudo -n ";
}

/** Sends the payload into the staging directory, skipping files an earlier, interrupted run already sent. */
async function uploadPayload(
  ssh: SshSession,
  payload: Payload,
  onEvent?: (e: FlashEvent) => void,
): Promise<void> {
  const dir = stagingDir(payload.version);
  const dirs = new Set(payload.files.map((f) => posix.dirname(posix.join(dir, f.path))));
  // one round trip: create the directories, then list what an interrupted run already sent
  const have = await ssh.exec(
    `umask 077 && mkdir -p ${[...dirs].map(shellQuote).join(" ")} && sh -s -- sums ${shellQuote(dir)}`,
    "preparing the staging directory",
    boardScript(),
  );
  if (have.code !== 0)
    throw new BoardScriptError(ssh.target.url, have.code, [], `cannot create ${dir}: ${have.stderr.trim()}`);
  const present = new Set(have.stdout.split("\n").filter(Boolean));
  const todo = payload.files.filter((f) => !present.has(`${f.sha256}  ${f.path}`));
  const totalBytes = todo.reduce((n, f) => n + f.sizeBytes, 0);
  let sentBytes = 0;
  for (const f of todo) {
    await ssh.upload(f.source, posix.join(dir, f.path), f.mode, (n) => {
      sentBytes += n;
      onEvent?.({ kind: "upload", target: ssh.target.url, sentBytes, totalBytes });
    });
  }
}

function resolveRelease(options: FlashOptions): Release {
  if (options.release && typeof options.release !== "string") return options.release;
  return loadRelease(options.release ?? DEFAULT_BUNDLE_DIR, { nodeBinary: options.node });
}

/**
 * `qonnect flash ssh://…`: probe, plan, upload (resumable), then the board script's `apply` (idempotent
 * install, atomic `current` switch, restart, health gate, rollback). Throws BoardScriptError when the gate
 * failed (after rolling back) or the board refused, BoardLinkError when the link broke, HostKeyError.
 */
export async function flashOverSsh(options: FlashOptions): Promise<FlashResult> {
  const target = parseSshTarget(options.target);
  const device = typeof options.device === "string" ? loadDeviceConfig(options.device) : options.device;
  const release = resolveRelease(options);
  const unitText = readUnitFile(options.unitFile ?? DEFAULT_UNIT_FILE);
  const emit = options.onEvent ?? (() => {});
  const ssh = await SshSession.connect(target, options);
  try {
    emit({ kind: "connected", target: target.url });
    const draft = buildPayload(release, device, { unitText, gate: true });
    const facts = await probeBoard(
      ssh,
      draft.targets.map((t) => t.boardPath),
      release.version,
    );
    emit({ kind: "probed", target: target.url, facts });
    const payload = buildPayload(release, device, { unitText, gate: true, cleanup: true, facts });
    const plan = planFlash(facts, payload, release);
    emit({ kind: "plan", target: target.url, plan });
    const base = {
      target: target.url,
      version: release.version,
      facts,
      plan,
      rebootRequired: plan.rebootRequired,
    };
    if (plan.refusal) throw new ReleaseError(`${target.url}: ${plan.refusal}`);
    if (options.dryRun) return { ...base, changed: 0, health: "dry-run", lines: [] };
    if (plan.changes === 0) return { ...base, changed: 0, health: "unchanged", lines: [] };

    await uploadPayload(ssh, payload, emit);
    const dir = stagingDir(payload.version);
    const lines: string[] = [];
    const r = await ssh.exec(
      `${sudo(ssh)}sh ${shellQuote(`${dir}/qonnect-board.sh`)} apply ${shellQuote(dir)} ${payload.sumsSha256}`,
      "installing",
      undefined,
      (line) => {
        lines.push(line);
        emit({ kind: "board", target: target.url, line });
      },
    );
    const summary = /^summary changed=(\d+) reboot=(yes|no) health=(\S+)$/m.exec(r.stdout);
    if (r.code === 0 && summary) {
      return {
        ...base,
        changed: Number(summary[1]),
        health: summary[3] as FlashResult["health"],
        rebootRequired: summary[2] === "yes",
        lines,
      };
    }
    const rollback = lines.find((l) => l.startsWith("rollback "));
    const failed = lines.find((l) => l.startsWith("health failed"));
    const reason =
      r.code === 3
        ? rollback
          ? `health gate failed, rolled back: ${rollback.replace(/^rollback (\S+) (\S+): /, "$1 → $2 because ")}`
          : `health gate failed and there is no release to roll back to: ${failed ?? "see the board's log"}`
        : `board script failed (exit ${r.code}): ${r.stderr.trim().split("\n").at(-1) ?? ""}`;
    throw new BoardScriptError(target.url, r.code, lines, reason);
  } finally {
    ssh.close();
  }
}
