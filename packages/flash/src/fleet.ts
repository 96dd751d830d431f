import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { DeviceConfigError, HostKeyError } from "./errors.js";
import { DEFAULT_BUNDLE_DIR } from "./firmware-scripts.js";
import { type FlashEvent, type FlashResult, flashOverSsh } from "./flash-ssh.js";
import { loadRelease, type Release } from "./release.js";
import type { SshOptions } from "./ssh-session.js";

/** One board of an inventory. */
export interface FleetBoard {
  target: string;
  deviceConfig: string;
  release: string;
  node?: string;
}

/** `qonnect flash fleet inventory.yaml`: boards with their device configs; paths relative to the file. */
export function parseFleetInventory(text: string, file: string): FleetBoard[] {
  const problems: string[] = [];
  const base = dirname(resolve(file));
  const doc = (parseYaml(text) ?? {}) as { defaults?: Record<string, unknown>; boards?: unknown };
  const defaults = doc.defaults ?? {};
  if (!Array.isArray(doc.boards) || doc.boards.length === 0)
    throw new DeviceConfigError(file, ["boards: a list of { target, deviceConfig } is required"]);
  const boards: FleetBoard[] = [];
  doc.boards.forEach((b: Record<string, unknown>, i: number) => {
    const target = b?.target;
    const deviceConfig = b?.deviceConfig;
    if (typeof target !== "string") problems.push(`boards[${i}].target: required (ssh://USER@HOST[:PORT])`);
    if (typeof deviceConfig !== "string")
      problems.push(`boards[${i}].deviceConfig: required (a device.yaml)`);
    else if (!existsSync(resolve(base, deviceConfig)))
      problems.push(`boards[${i}].deviceConfig: ${deviceConfig} not found`);
    const release = (b?.release ?? defaults.release) as string | undefined;
    // `node: null` on a board turns a default Node binary off (an x86-64 board with its own Node 20)
    const node = (b && "node" in b ? b.node : defaults.node) as string | null | undefined;
    if (typeof target === "string" && typeof deviceConfig === "string")
      boards.push({
        target,
        deviceConfig: resolve(base, deviceConfig),
        release: release ? resolve(base, release) : DEFAULT_BUNDLE_DIR,
        node: node ? resolve(base, node) : undefined,
      });
  });
  const seen = new Set<string>();
  for (const b of boards) {
    if (seen.has(b.target)) problems.push(`${b.target}: listed twice`);
    seen.add(b.target);
  }
  if (problems.length) throw new DeviceConfigError(file, problems);
  return boards;
}

export type FleetOutcome = "changed" | "unchanged" | "rolled-back" | "failed" | "dry-run";

/** Where one board is, for the progress display. */
export interface FleetBoardState {
  target: string;
  phase: "waiting" | "connecting" | "probing" | "uploading" | "installing" | "done";
  uploadPct?: number;
  outcome?: FleetOutcome;
  changed?: number;
  message?: string;
  durationMs?: number;
}

export interface FleetOptions extends SshOptions {
  boards: FleetBoard[];
  parallel: number;
  dryRun?: boolean;
  onProgress?: (states: FleetBoardState[]) => void;
  nowMs?: () => number;
}

/** Many boards at once, at most `parallel` at a time; one board's failure never stops the others. */
export async function flashFleet(options: FleetOptions): Promise<FleetBoardState[]> {
  const now = options.nowMs ?? Date.now;
  const states: FleetBoardState[] = options.boards.map((b) => ({ target: b.target, phase: "waiting" }));
  const releases = new Map<string, Release>();
  const releaseFor = (b: FleetBoard) => {
    const key = `${b.release}\0${b.node ?? ""}`;
    let r = releases.get(key);
    if (!r) {
      r = loadRelease(b.release, { nodeBinary: b.node });
      releases.set(key, r);
    }
    return r;
  };
  const report = () => options.onProgress?.(states);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const board = options.boards[i];
      const state = states[i];
      if (!board || !state) return;
      const started = now();
      state.phase = "connecting";
      report();
      const onEvent = (e: FlashEvent) => {
        if (e.kind === "connected") state.phase = "probing";
        else if (e.kind === "upload") {
          state.phase = "uploading";
          state.uploadPct = e.totalBytes ? Math.floor((100 * e.sentBytes) / e.totalBytes) : 100;
        } else if (e.kind === "board") state.phase = "installing";
        else return;
        report();
      };
      try {
        const r: FlashResult = await flashOverSsh({
          ...options,
          target: board.target,
          device: board.deviceConfig,
          release: releaseFor(board),
          onEvent,
        });
        state.outcome = r.health === "dry-run" ? "dry-run" : r.changed > 0 ? "changed" : "unchanged";
        state.changed = r.health === "dry-run" ? r.plan.changes : r.changed;
        if (r.rebootRequired) state.message = "reboot needed (boot settings changed)";
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        state.outcome = /rolled back/.test(message) ? "rolled-back" : "failed";
        state.message = err instanceof HostKeyError ? message : message.replace(`${board.target}: `, "");
      }
      state.phase = "done";
      state.durationMs = now() - started;
      report();
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.parallel, options.boards.length)) }, worker),
  );
  return states;
}

/** One line per board for the progress display. */
export function formatFleetProgress(states: FleetBoardState[]): string[] {
  const done = states.filter((s) => s.phase === "done").length;
  return [
    `${done}/${states.length} done`,
    ...states.map((s) => {
      const what =
        s.phase === "done"
          ? `${s.outcome}${s.changed !== undefined ? ` (${s.changed} changed)` : ""}${s.message ? `: ${s.message}` : ""}`
          : s.phase === "uploading"
            ? `uploading ${s.uploadPct ?? 0}%`
            : s.phase;
      return `  ${s.target}  ${what}`;
    }),
  ];
}

/** The summary: how many boards changed, were already right, were rolled back, failed. */
export function fleetSummary(states: FleetBoardState[]): Record<FleetOutcome, number> {
  const counts: Record<FleetOutcome, number> = {
    changed: 0,
    unchanged: 0,
    "rolled-back": 0,
    failed: 0,
    "dry-run": 0,
  };
  for (const s of states) if (s.outcome) counts[s.outcome]++;
  return counts;
}

export function loadFleetInventory(file: string): FleetBoard[] {
  if (!existsSync(file)) throw new DeviceConfigError(file, ["file not found"]);
  return parseFleetInventory(readFileSync(file, "utf8"), file);
}
