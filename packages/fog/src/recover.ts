// `qonnect fog recover`: a region that lost its quorum for good (two of three members' disks gone) is brought
// back from one surviving member's write-ahead log, as etcd's `--force-new-cluster` does. Offline: the member
// must be stopped (its data directory is locked otherwise). What it does:
//   1. reads the member's snapshot and log, and applies every *committed* entry to a fresh region state
//      machine (entries past the commit index may never have reached a quorum: they are dropped and counted);
//   2. writes a new data directory holding one snapshot of that state at the commit index, whose membership is
//      this member alone, with the member's term kept (its tokens stay the highest the devices have seen);
//   3. keeps the old directory beside it (`<dataDir>.before-recover-<time>`), never deletes it.
// Started again, the member leads a one-member group at once; the operator then adds members back (each with an
// empty data directory and `initialClusterState: existing`), as learners first (`qonnect fog member add --id N
// --learner`) and promoted once caught up (`member add --id N`): a voter added at once to a one-member group
// is needed for the quorum before it holds any state.
import { existsSync, renameSync, rmSync } from "node:fs";
import { decodeBatch, WalLockedError, WalStorage } from "@qonnect/raft";
import type { FogConfig } from "./config.js";
import { RegionStateMachine } from "./region-state.js";

export interface RecoverResult {
  member: number;
  /** The index and term of the new snapshot (the old log's commit index). */
  index: number;
  term: number;
  planVersion: number;
  devices: number;
  /** Entries after the commit index that were dropped. */
  droppedEntries: number;
  /** Where the old data directory was kept. */
  keptAs: string;
}

/** Recovery could not be done; the message says what to do. Nothing was changed. */
export class FogRecoverError extends Error {
  override name = "FogRecoverError";
  constructor(
    readonly dataDir: string,
    message: string,
  ) {
    super(message);
  }
}

export function recoverRegion(config: FogConfig, nowMs: number): RecoverResult {
  const dir = config.dataDir;
  if (!existsSync(dir))
    throw new FogRecoverError(dir, `no data directory at ${dir}: recover from a member that has one`);
  let old: WalStorage;
  try {
    old = WalStorage.open(dir);
  } catch (err) {
    if (err instanceof WalLockedError)
      throw new FogRecoverError(
        dir,
        `member ${config.member} is running (${dir} is locked): stop it, then run recover again`,
      );
    throw err;
  }
  const next = `${dir}.recovering`;
  let result: Omit<RecoverResult, "keptAs">;
  try {
    const { hardState } = old.initialState();
    const snap = old.snapshot();
    if (hardState.term === 0 && old.lastIndex() === 0)
      throw new FogRecoverError(
        dir,
        `${dir} holds no region state (an empty log): recover from another member`,
      );
    const sm = new RegionStateMachine();
    sm.restore(snap.data);
    const commit = Math.max(hardState.commit, snap.meta.index);
    for (const e of commit > snap.meta.index ? old.entries(snap.meta.index + 1, commit + 1) : [])
      if (e.type === "normal") for (const cmd of decodeBatch(e.data)) sm.apply(cmd);
    result = {
      member: config.member,
      index: commit,
      term: hardState.term,
      planVersion: sm.planVersion,
      devices: sm.devices.size,
      droppedEntries: old.lastIndex() - commit,
    };
    rmSync(next, { recursive: true, force: true });
    const fresh = WalStorage.open(next);
    try {
      fresh.applySnapshot({
        meta: { index: commit, term: old.term(commit), conf: { voters: [config.member], learners: [] } },
        data: sm.snapshot(),
      });
      fresh.setHardState({ term: hardState.term, vote: 0, commit });
      fresh.sync();
    } finally {
      fresh.close();
    }
  } finally {
    old.close();
  }
  const keptAs = `${dir}.before-recover-${new Date(nowMs).toISOString().replace(/[:.]/g, "-")}`;
  renameSync(dir, keptAs);
  renameSync(next, dir);
  return { ...result, keptAs };
}
