import type { telemetryV1 } from "@qonnect/proto";

/**
 * Runs a device's workloads. `apply` is idempotent reconciliation: start what is missing, stop what is no
 * longer listed, restart what changed, leave the rest alone. Implementations: process (supervised children)
 * and k3s (server-side apply of Deployment + Service per workload).
 */
export interface Runtime {
  readonly kind: "process" | "k3s";
  apply(desired: telemetryV1.WorkloadSpec[]): Promise<void>;
  /** Current state and usage of every workload this runtime manages (one entry per desired workload). */
  status(): Promise<telemetryV1.WorkloadStatus[]>;
  /** Stops every workload and releases resources (agent shutdown). */
  close(): Promise<void>;
}

/** `app/service/replica`: the identity of one workload replica on a device. */
export function workloadKey(w: { app: string; service: string; replica: number }): string {
  return `${w.app}/${w.service}/${w.replica}`;
}

/** A stable fingerprint of what matters for running a workload (the plan id alone does not restart it). */
export function workloadFingerprint(spec: telemetryV1.WorkloadSpec): string {
  const { plan: _plan, ...rest } = spec;
  const env = Object.entries(rest.env).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify({ ...rest, env });
}

/** The runtime cannot do what was asked (bad spec for this runtime, API refused it). */
export class RuntimeError extends Error {
  override name = "RuntimeError";
  constructor(
    message: string,
    readonly workload?: string,
    options?: { cause?: unknown },
  ) {
    super(workload ? `${workload}: ${message}` : message, options);
  }
}

/** The same runtime with `apply` calls run one after another (commands and the resume retry never overlap). */
export function serialised(runtime: Runtime): Runtime {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    kind: runtime.kind,
    apply(desired) {
      const next = queue.then(() => runtime.apply(desired));
      queue = next.catch(() => {});
      return next;
    },
    status: () => runtime.status(),
    close: async () => {
      await queue;
      await runtime.close();
    },
  };
}

/** `running`, `restarting`, ... for people (WORKLOAD_STATE_RUNNING → running). */
export function workloadStateName(state: telemetryV1.WorkloadState): string {
  return (WORKLOAD_STATE_NAMES[state] ?? "unspecified").toLowerCase();
}

const WORKLOAD_STATE_NAMES: Record<number, string> = {
  1: "PENDING",
  2: "RUNNING",
  3: "RESTARTING",
  4: "FAILED",
  5: "STOPPED",
};
