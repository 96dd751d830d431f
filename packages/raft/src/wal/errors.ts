/**
 * A write-ahead log file is damaged somewhere other than its unsynced tail: a checksum mismatch or an undecodable
 * record with valid records after it, or a damaged record in a segment that is not the last one. Recovery refuses
 * to start rather than silently dropping acknowledged entries. `offset` is the byte offset of the bad record.
 */
export class WalCorruptionError extends Error {
  override name = "WalCorruptionError";
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `write-ahead log ${file} is corrupted at byte offset ${offset}: ${reason}; ` +
        "the node cannot recover its log by itself: restore the data directory from a replica or remove it and rejoin the cluster",
    );
  }
}

/** The log as recovered contradicts itself (a gap between entries, a commit index beyond the last entry). */
export class WalInconsistencyError extends Error {
  override name = "WalInconsistencyError";
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(
      `write-ahead log in ${dir} is inconsistent: ${reason}; restore the data directory from a replica or remove it and rejoin the cluster`,
    );
  }
}

/** A snapshot file fails its checksum or cannot be decoded. */
export class SnapshotCorruptionError extends Error {
  override name = "SnapshotCorruptionError";
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`snapshot ${file} is corrupted: ${reason}`);
  }
}

/** The snapshot the log refers to is not on disk. */
export class SnapshotMissingError extends Error {
  override name = "SnapshotMissingError";
  constructor(
    readonly dir: string,
    readonly index: number,
    readonly term: number,
  ) {
    super(`the log refers to snapshot index ${index} term ${term}, which is missing from ${dir}`);
  }
}

/** Another process (or another WalStorage in this one) holds the data directory. */
export class WalLockedError extends Error {
  override name = "WalLockedError";
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `data directory ${dir} is in use by process ${pid}; stop it first or choose another --data directory`,
    );
  }
}

/**
 * A write to the log failed (ENOSPC: the disk is full; EIO; EFBIG). The partial record was cut back off and no
 * state changed: the member must not acknowledge anything until writes succeed again.
 */
export class WalWriteError extends Error {
  override name = "WalWriteError";
  readonly code: string;
  constructor(
    readonly dir: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(
      `cannot write the log in ${dir}: ${cause.code ?? cause.message}` +
        (cause.code === "ENOSPC" ? "; free disk space, the member resumes writing by itself" : ""),
      { cause },
    );
    this.code = cause.code ?? "EIO";
  }
}
