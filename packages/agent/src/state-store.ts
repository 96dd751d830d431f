import {
  chmodSync,
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { telemetryV1 } from "@qonnect/proto";

/** The agent's own durable state: survives an agent restart and a reboot. */
export interface AgentState {
  /** The highest fencing token the agent has obeyed (term, planVersion). */
  token: telemetryV1.FencingToken;
  /** The workloads the last obeyed command asked for. */
  desired: telemetryV1.WorkloadSpec[];
  /** Telemetry sequence numbers below this were handed out (reserved in blocks; a crash leaves a visible gap). */
  seqReserved: number;
}

/** The state file exists but cannot be read back: the agent refuses to start rather than forget its token. */
export class StateFileError extends Error {
  override name = "StateFileError";
  constructor(
    readonly file: string,
    options: { cause: unknown },
  ) {
    super(
      `cannot read agent state ${file}; move it away only if this device may forget its fencing token`,
      options,
    );
  }
}

/** state.json could not be written (ENOSPC, EIO): the previous state is intact and nothing was adopted. */
export class StateWriteError extends Error {
  override name = "StateWriteError";
  readonly code: string;
  constructor(
    readonly file: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(`cannot write agent state ${file}: ${cause.code ?? cause.message}; free disk space`, { cause });
    this.code = cause.code ?? "EIO";
  }
}

const EMPTY: AgentState = { token: { term: 0, planVersion: 0 }, desired: [], seqReserved: 0 };

/** Persists {@link AgentState} as one JSON file, replaced atomically (write, fsync, rename, fsync dir). */
export class StateStore {
  readonly file: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    this.file = join(dir, "state.json");
  }

  load(): AgentState {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return structuredClone(EMPTY);
      throw new StateFileError(this.file, { cause: err });
    }
    try {
      const raw = JSON.parse(text) as { token?: unknown; desired?: unknown[]; seqReserved?: number };
      return {
        token: telemetryV1.FencingToken.fromJSON(raw.token ?? {}),
        desired: (raw.desired ?? []).map((w) => telemetryV1.WorkloadSpec.fromJSON(w)),
        seqReserved: Number(raw.seqReserved ?? 0),
      };
    } catch (err) {
      throw new StateFileError(this.file, { cause: err });
    }
  }

  /** Durable before it returns: the caller may act on the new state afterwards. */
  save(state: AgentState): void {
    const text = JSON.stringify(
      {
        token: telemetryV1.FencingToken.toJSON(state.token),
        desired: state.desired.map((w) => telemetryV1.WorkloadSpec.toJSON(w)),
        seqReserved: state.seqReserved,
      },
      null,
      2,
    );
    // 0600: the state holds workload environments; a workload (another uid) must not read it
    const tmp = `${this.file}.tmp`;
    try {
      const fd = openSync(tmp, "w", 0o600);
      try {
        fchmodSync(fd, 0o600);
        const bytes = Buffer.from(text);
        let off = 0;
        while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      // a full disk (ENOSPC) or a short write leaves the old state.json untouched
      rmSync(tmp, { force: true });
      throw new StateWriteError(this.file, err as NodeJS.ErrnoException);
    }
    renameSync(tmp, this.file);
    const dirFd = openSync(this.dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
