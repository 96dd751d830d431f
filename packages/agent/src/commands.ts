import { telemetryV1 } from "@qonnect/proto";
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
    const state = this.deps.state();
    this.deps.persist({ ...state, token, desired: cmd.workloads });
    let error = "";
    try {
      await this.deps.runtime.apply(cmd.workloads);
    } catch (err) {
      error = `reconcile failed: ${(err as Error).message}`;
    }
    this.deps.onOutcome?.({ result: "accepted", token, error: error || undefined });
    return {
      device: this.deps.device,
      accepted: true,
      token,
      error,
      workloads: await this.deps.runtime.status(),
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
    const seen = new Set<string>();
    for (const [i, w] of cmd.workloads.entries()) {
      const at = `workloads[${i}]`;
      if (!w.app || !w.service) throw new MalformedCommandError(`${at}: app and service are required`);
      const key = workloadKey(w);
      if (seen.has(key)) throw new MalformedCommandError(`${at}: ${key} is listed twice`);
      seen.add(key);
      if (this.deps.runtime.kind === "process" && w.command.length === 0)
        throw new MalformedCommandError(`${at} (${key}): the process runtime needs a command`);
      if (this.deps.runtime.kind === "k3s" && !w.image)
        throw new MalformedCommandError(`${at} (${key}): the k3s runtime needs an image`);
      if (w.ports.some((p) => p < 1 || p > 65535))
        throw new MalformedCommandError(`${at} (${key}): ports must be 1..65535`);
    }
    return cmd;
  }
}
