// Starting a brand-new cluster: the initial membership is written into the log as conf entries, so that a
// node added later learns the whole membership by replaying the log from index 1 (as etcd's Bootstrap does).
import { encodeConfChange } from "./conf-change.js";
import type { Entry } from "./entry.js";
import type { Storage } from "./storage.js";

/** Thrown when bootstrap meets a storage that already holds a log or a term. */
export class AlreadyBootstrappedError extends Error {
  override name = "AlreadyBootstrappedError";
}

/** Writes entries 1..n (term 1, `addVoter` per id) and a hard state committing them. Every founding member runs it. */
export function bootstrap(storage: Storage, voterIds: readonly number[]): void {
  const { hardState } = storage.initialState();
  if (storage.lastIndex() !== 0 || hardState.term !== 0)
    throw new AlreadyBootstrappedError(
      `storage already holds ${storage.lastIndex()} entries at term ${hardState.term}`,
    );
  const entries: Entry[] = voterIds.map((nodeId, i) => ({
    index: i + 1,
    term: 1,
    type: "conf",
    data: encodeConfChange({ type: "addVoter", nodeId }),
  }));
  storage.append(entries);
  storage.setHardState({ term: 1, vote: 0, commit: entries.length });
  storage.sync();
}
