import { telemetryV1 } from "@qonnect/proto";
import { COMMAND_LIMITS, tokenProblem, workloadProblem } from "./command-limits.js";
import { type Runtime, workloadKey } from "./runtime/runtime.js";
import type { AgentState } from "./state-store.js";

type FencingToken = telemetryV1.FencingToken;

/** (term, planVersion) compared lexicographically: negative when a < b. */
export function compareTokens(a: FencingToken, b: FencingToken): number {
  return a.term !== b.term ? Math.sign(a.term - b.term) : Math.sign(a.planVersion - b.planVersion);
}

export function formatToken(t: FencingToken): string {
  return `term ${t.term}, plan ${t.planVersion}`;
}

/** A command that cannot be obeyed as sent (undecodable, wrong device, invalid workloads). */
export class MalformedCommandError extends Error {
  override name = "MalformedCommandError";
}

export interface CommandHandlerDeps {
  device: string;
  runtime: Runtime;
  state(): AgentState;
  /** durably records the new state; must not return before it is on disk */
  persist(state: AgentState): void;
  onOutcome?(outcome: {
    result: "accepted" | "refused" | "malformed";
    token?: FencingToken;
    error?: string;
  }): void;
}

/**
 * Handles DeviceCommand requests one at a time: decode and validate, refuse tokens lower than the one held
 * (answering with the held token), persist the new token and desired set before acting, then reconcile the
 * runtime idempotently and ack with per-workload state. Never throws: every failure becomes an error reply.
 */
export class CommandHandler {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: CommandHandlerDeps) {}

  handle(data: Uint8Array): Promise<Uint8Array> {
    const result = this.queue.then(() => this.process(data));
    this.queue = result.catch(() => {});
    return result.then((ack) => telemetryV1.CommandAck.encode(ack).finish());
  }

  private async process(data: Uint8Array): Promise<telemetryV1.CommandAck> {
    const held = this.deps.state().token;
    let cmd: telemetryV1.DeviceCommand;
    try {
      cmd = this.validate(data);
    } catch (err) {
      const error = `malformed command: ${(err as Error).message}`;
      this.deps.onOutcome?.({ result: "malformed", error });
      return { device: this.deps.device, accepted: false, token: held, error, workloads: [] };
    }
    const token = cmd.token!;
    const implausible = tokenProblem(token, held);
    if (implausible) {
      // nothing of this command is persisted: a forged token must not lock the device out of its leader
      const error = `implausible fencing token: ${implausible}`;
      this.deps.onOutcome?.({ result: "malformed", token, error });
      return { device: this.deps.device, accepted: false, token: held, error, workloads: [] };
    }
    if (compareTokens(token, held) < 0) {
      const error = `stale fencing token (${formatToken(token)}) is lower than the held one (${formatToken(held)})`;
      this.deps.onOutcome?.({ result: "refused", token, error });
      return {
        device: this.deps.device,
        accepted: false,
        token: held,
        error,
        workloads: await this.deps.runtime.status(),
      };
    }
    // a bad workload is refused alone: the rest are persisted and run
    const good: telemetryV1.WorkloadSpec[] = [];
    const refused: telemetryV1.WorkloadStatus[] = [];
    const problems: string[] = [];
    for (const w of cmd.workloads) {
      const problem = workloadProblem(w, this.deps.runtime.kind);
      if (!problem) {
        good.push(w);
        continue;
      }
      problems.push(`${workloadKey(w).slice(0, 200)}: ${problem}`);
      refused.push({
        app: w.app.slice(0, 128),
        service: w.service.slice(0, 128),
        replica: w.replica,
        state: telemetryV1.WorkloadState.WORKLOAD_STATE_FAILED,
        cpuCores: 0,
        memoryBytes: 0,
        restarts: 0,
        message: `refused: ${problem}`,
        powerW: 0,
      });
    }
    const state = this.deps.state();
    try {
      this.deps.persist({ ...state, token, desired: good });
    } catch (err) {
      // not durable, not obeyed: the held token and workloads stay as they were (a full disk)
      const error = `cannot record the command: ${(err as Error).message}`;
      this.deps.onOutcome?.({ result: "refused", token, error });
      return {
        device: this.deps.device,
        accepted: false,
        token: held,
        error,
        workloads: await this.deps.runtime.status(),
      };
    }
    let error = problems.length ? `refused workloads: ${problems.join("; ")}` : "";
    try {
      await this.deps.runtime.apply(good);
    } catch (err) {
      error = [error, `reconcile failed: ${(err as Error).message}`].filter(Boolean).join("; ");
    }
    this.deps.onOutcome?.({ result: "accepted", token, error: error || undefined });
    return {
      device: this.deps.device,
      accepted: true,
      token,
      error,
      workloads: [...(await this.deps.runtime.status()), ...refused],
    };
  }

  private validate(data: Uint8Array): telemetryV1.DeviceCommand {
    let cmd: telemetryV1.DeviceCommand;
    try {
      cmd = telemetryV1.DeviceCommand.decode(data);
    } catch (err) {
      throw new MalformedCommandError(`not a DeviceCommand protobuf (${(err as Error).message})`);
    }
    if (cmd.device !== this.deps.device)
      throw new MalformedCommandError(`addressed to device "${cmd.device}", this is "${this.deps.device}"`);
    if (!cmd.token) throw new MalformedCommandError("no fencing token");
    if (cmd.workloads.length > COMMAND_LIMITS.maxWorkloads)
      throw new MalformedCommandError(
        `${cmd.workloads.length} workloads; a device runs at most ${COMMAND_LIMITS.maxWorkloads}`,
      );
    const seen = new Set<string>();
    for (const [i, w] of cmd.workloads.entries()) {
      const key = workloadKey(w);
      if (seen.has(key))
        throw new MalformedCommandError(`workloads[${i}]: ${key.slice(0, 200)} is listed twice`);
      seen.add(key);
    }
    return cmd;
  }
}
