// Plan execution, make-before-break, as a pure decision step over the replicated state. The leader calls
// `due()` on every turn of its loop and sends what it returns; acks go back through Raft (an `ack` entry per
// reply) and the phase change too (an `exec` entry), so a new leader picks the plan up exactly where the
// replicated acks say it stands, with its own (higher) term in the token.
//
//   make:  every reachable device of the plan (old or new host) gets old ∪ new set; wait for every ack with
//          the new replicas running;
//   break: every reachable device gets exactly its new set (the old replicas stop); devices that come back
//          later (from a crash or a cut) get the break set straight away, so a moved replica never runs twice.
// Retries back off per device (initialBackoffMs doubling up to maxBackoffMs); one command in flight per device.
import type { telemetryV1 } from "@qonnect/proto";
import { desiredSets, type PortPolicy, unionSets, workloadKeyOf } from "./desired.js";
import type { ExecPhase, FencingToken } from "./region-command.js";
import type { RegionModel } from "./region-model.js";
import type { RegionStateMachine } from "./region-state.js";

/** telemetry.v1 WorkloadState.WORKLOAD_STATE_RUNNING */
const RUNNING = 2;

export interface OutgoingCommand {
  device: string;
  phase: ExecPhase;
  token: FencingToken;
  workloads: telemetryV1.WorkloadSpec[];
}

export interface ExecutorOptions {
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface ExecStep {
  commands: OutgoingCommand[];
  /** Set when the make phase is done everywhere reachable: propose the `exec` entry. */
  advanceToBreak: boolean;
  /** Every reachable device acknowledged the break set. */
  complete: boolean;
  problems: string[];
}

interface Attempt {
  key: string;
  attempts: number;
  nextAtMs: number;
  inFlight: boolean;
}

export class PlanExecutor {
  private readonly attempts = new Map<string, Attempt>();
  private cache:
    | {
        key: string;
        make: Map<string, telemetryV1.WorkloadSpec[]>;
        brk: Map<string, telemetryV1.WorkloadSpec[]>;
        problems: string[];
      }
    | undefined;

  constructor(
    private readonly o: ExecutorOptions = { initialBackoffMs: 250, maxBackoffMs: 4000 },
    private readonly ports: PortPolicy = {},
  ) {}

  /**
   * What to send now. `reachable` says whether a device may be commanded (not dead or unreachable);
   * `strays` lists devices outside the plan that report workloads they should not run (after a cut heals).
   */
  due(
    sm: RegionStateMachine,
    model: RegionModel,
    term: number,
    nowMs: number,
    reachable: (device: string) => boolean,
    strays: readonly string[] = [],
  ): ExecStep {
    const plan = sm.plan;
    if (!plan) return { commands: [], advanceToBreak: false, complete: true, problems: [] };
    const sets = this.sets(sm, model);
    const token = { term, planVersion: plan.version };
    const targets = [...new Set([...sets.make.keys(), ...strays])].sort();
    const live = targets.filter(reachable);
    const commands: OutgoingCommand[] = [];
    const send = (device: string, phase: ExecPhase, workloads: telemetryV1.WorkloadSpec[]) => {
      const key = `${token.term}/${token.planVersion}/${phase}`;
      let a = this.attempts.get(device);
      if (!a || a.key !== key) {
        a = { key, attempts: 0, nextAtMs: 0, inFlight: false };
        this.attempts.set(device, a);
      }
      if (a.inFlight || nowMs < a.nextAtMs) return;
      commands.push({ device, phase, token, workloads });
    };
    if (sm.exec.phase === "make") {
      let done = true;
      for (const d of live) {
        const news = sets.brk.get(d) ?? [];
        const running = new Set(
          (sm.devices.get(d)?.workloads ?? []).filter((w) => w.state === RUNNING).map(workloadKeyOf),
        );
        const healthy = sm.acked(d, "make") && news.every((w) => running.has(workloadKeyOf(w)));
        if (healthy) continue;
        done = false;
        send(d, "make", sets.make.get(d) ?? []);
      }
      return { commands, advanceToBreak: done, complete: false, problems: sets.problems };
    }
    let complete = true;
    for (const d of live) {
      if (sm.acked(d, "break")) continue;
      complete = false;
      send(d, "break", sets.brk.get(d) ?? []);
    }
    return { commands, advanceToBreak: false, complete, problems: sets.problems };
  }

  /** A command to `device` left. */
  sent(device: string): void {
    const a = this.attempts.get(device);
    if (a) a.inFlight = true;
  }

  /** Its reply arrived (ok) or it failed or was refused (not ok: back off before the next try). */
  settled(device: string, ok: boolean, nowMs: number): void {
    const a = this.attempts.get(device);
    if (!a) return;
    a.inFlight = false;
    if (ok) {
      // an accepted command whose ack is being recorded: give Raft a moment before asking again
      a.attempts = 0;
      a.nextAtMs = nowMs + this.o.initialBackoffMs;
      return;
    }
    a.nextAtMs = nowMs + Math.min(this.o.maxBackoffMs, this.o.initialBackoffMs * 2 ** a.attempts);
    a.attempts++;
  }

  /** Forget in-memory retry state (leadership lost or gained). */
  reset(): void {
    this.attempts.clear();
  }

  private sets(sm: RegionStateMachine, model: RegionModel) {
    const plan = sm.plan!;
    const key = `${plan.version}`;
    if (this.cache?.key === key) return this.cache;
    const next = desiredSets(model, plan.placements, plan.planId, this.ports);
    const prev = desiredSets(model, plan.previous, plan.planId, this.ports);
    const make = new Map<string, telemetryV1.WorkloadSpec[]>();
    for (const d of new Set([...next.sets.keys(), ...prev.sets.keys()]))
      make.set(d, unionSets(next.sets.get(d) ?? [], prev.sets.get(d) ?? []));
    const brk = new Map(next.sets);
    for (const d of make.keys()) if (!brk.has(d)) brk.set(d, []);
    this.cache = { key, make, brk, problems: [...next.problems] };
    return this.cache;
  }

  /** The break (final) set of `device` under the current plan: what a returning device is told to run. */
  finalSet(sm: RegionStateMachine, model: RegionModel, device: string): telemetryV1.WorkloadSpec[] {
    if (!sm.plan) return [];
    return this.sets(sm, model).brk.get(device) ?? [];
  }
}
