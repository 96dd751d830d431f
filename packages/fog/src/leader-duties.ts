// What only the leader does, one turn at a time: turn observations into verdicts, re-place what is gone, execute
// the current plan, publish the summary. Every change goes through the log (`propose`); the in-memory parts
// (pending proposals, retry timers) are reset whenever leadership changes hands.

import { workloadKeyOf } from "./desired.js";
import type { FailureDetector, Judgement } from "./detector.js";
import type { DeviceLink } from "./device-link.js";
import type { PlanExecutor } from "./executor.js";
import type { DeviceFacts, RegionCommand, VerdictName } from "./region-command.js";
import { regionModel } from "./region-model.js";
import type { RegionResult, RegionStateMachine } from "./region-state.js";
import { replanRegion } from "./replan.js";

/** telemetry.v1 WorkloadState.WORKLOAD_STATE_RUNNING */
const RUNNING = 2;

export interface DutyLog {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export interface DutyCounters {
  verdictChanges: number;
  localReplans: number;
  commandsAccepted: number;
  commandsRefused: number;
  commandsFailed: number;
}

export class LeaderDuties {
  readonly counters: DutyCounters = {
    verdictChanges: 0,
    localReplans: 0,
    commandsAccepted: 0,
    commandsRefused: 0,
    commandsFailed: 0,
  };
  private pendingVerdicts = new Map<string, VerdictName>();
  /** Devices judged suspect at the last evaluation: suspect is proposed only when it holds twice running,
   * so the jitter of a loaded sender does not turn into a log entry per late sample. */
  private lateOnce = new Set<string>();
  private pendingRegistrations = new Set<string>();
  private replanning = false;
  private advancing = false;
  private term = 0;
  private lastProblem = "";
  /** When this term's leadership began, until its first command is acknowledged (logged once). */
  private ledSinceMs: number | undefined;

  constructor(
    private readonly o: {
      sm: RegionStateMachine;
      detector: FailureDetector;
      link: DeviceLink;
      executor: PlanExecutor;
      propose(cmd: RegionCommand): Promise<RegionResult>;
      nowMs(): number;
      commandTimeoutMs: number;
      log: DutyLog;
    },
  ) {}

  /** Leadership taken in `term`: watch every known device from now, forget the old turn's bookkeeping. */
  takeOver(term: number): void {
    this.term = term;
    this.pendingVerdicts.clear();
    this.pendingRegistrations.clear();
    this.o.executor.reset();
    const now = this.o.nowMs();
    this.ledSinceMs = now;
    for (const d of this.o.sm.devices.values()) this.o.detector.track(d.name, d.site, now);
  }

  /** Registrations heard that the log does not hold yet (or holds with other facts). */
  registrations(): void {
    for (const [name, facts] of this.o.link.registrations) {
      if (this.pendingRegistrations.has(name)) continue;
      const d = this.o.sm.devices.get(name);
      if (d && sameFacts(d, facts)) continue;
      this.pendingRegistrations.add(name);
      this.o
        .propose({ t: "register", device: facts, tsMs: this.o.nowMs() })
        .catch(() => {})
        .finally(() => this.pendingRegistrations.delete(name));
    }
  }

  /** Verdicts that changed since the log's, proposed together. */
  verdicts(): void {
    const { sm, detector } = this.o;
    const now = this.o.nowMs();
    const changes: { device: string; verdict: VerdictName; reason: string }[] = [];
    const late = new Set<string>();
    for (const [device, judged] of detector.evaluate(now)) {
      // a device that reports, but implausibly, for several samples in a row is suspect (plausibility.ts)
      const doubt =
        judged.verdict === "alive" || judged.verdict === "suspect"
          ? this.o.link.implausible.persisting(device)
          : undefined;
      const j: Judgement = doubt ? { verdict: "suspect", reason: doubt } : judged;
      if (j.verdict === "suspect") late.add(device);
      const d = sm.devices.get(device);
      if (!d || d.verdict === j.verdict || this.pendingVerdicts.get(device) === j.verdict) continue;
      if (j.verdict === "suspect" && !doubt && !j.evidence && !this.lateOnce.has(device)) continue;
      changes.push({ device, verdict: j.verdict, reason: j.reason });
    }
    this.lateOnce = late;
    if (changes.length === 0) return;
    for (const c of changes) this.pendingVerdicts.set(c.device, c.verdict);
    this.counters.verdictChanges += changes.length;
    for (const c of changes) if (c.verdict !== "alive") this.o.log.info({ ...c }, "verdict");
    this.o
      .propose({ t: "verdicts", changes, tsMs: now })
      .catch(() => {})
      .finally(() => {
        for (const c of changes)
          if (this.pendingVerdicts.get(c.device) === c.verdict) this.pendingVerdicts.delete(c.device);
      });
  }

  /** Re-places the replicas of devices that are gone, when there are any. */
  replan(): void {
    const { sm } = this.o;
    if (this.replanning || !sm.plan) return;
    const model = regionModel(sm.context);
    const now = this.o.nowMs();
    const result = replanRegion({
      model,
      placements: sm.plan.placements,
      verdictOf: (d) => {
        const r = sm.devices.get(d);
        return r ? { verdict: r.verdict, sinceMs: r.verdictSinceMs } : undefined;
      },
      live: (d) => {
        const l = this.o.link.live.get(d);
        return l
          ? { solarExcessW: l.solarExcessW, ...(l.battery ? { batterySoc: l.battery.soc } : {}) }
          : undefined;
      },
      nowMs: now,
    });
    if (!result) return;
    const problem = result.problems.join("; ");
    if (problem && problem !== this.lastProblem)
      this.o.log.warn({ problems: result.problems }, "local re-placement incomplete");
    this.lastProblem = problem;
    if (result.moves.length === 0) return;
    const base = sm.planVersion;
    this.replanning = true;
    this.counters.localReplans++;
    this.o.log.info(
      {
        base,
        moves: result.moves.map(
          (m) => `${m.service}/${m.replica} ${m.fromDevice}→${m.toDevice}: ${m.reason}`,
        ),
      },
      "local re-placement",
    );
    this.o
      .propose({
        t: "plan",
        planId: `local-${this.term}-${base + 1}-${now}`,
        basePlanVersion: base,
        origin: "local",
        placements: result.placements,
        moves: result.moves,
        tsMs: now,
      })
      .catch(() => {})
      .finally(() => {
        this.replanning = false;
      });
  }

  /** Sends the commands the executor says are due, records every reply through the log. */
  execute(): boolean {
    const { sm, executor, link } = this.o;
    const model = regionModel(sm.context);
    const reachable = (d: string) => {
      const v = sm.devices.get(d)?.verdict;
      return v !== "dead" && v !== "unreachable";
    };
    const step = executor.due(sm, model, this.term, this.o.nowMs(), reachable, this.strays(model));
    if (step.advanceToBreak && !this.advancing && sm.plan) {
      this.advancing = true;
      this.o
        .propose({ t: "exec", planVersion: sm.plan.version, phase: "break", tsMs: this.o.nowMs() })
        .catch(() => {})
        .finally(() => {
          this.advancing = false;
        });
    }
    for (const c of step.commands) {
      executor.sent(c.device);
      link
        .command(
          { device: c.device, token: c.token, workloads: c.workloads, tsMs: Date.now() },
          this.o.commandTimeoutMs,
        )
        .then(async (ack) => {
          if (ack.accepted) this.counters.commandsAccepted++;
          else {
            this.counters.commandsRefused++;
            this.o.log.warn({ device: c.device, error: ack.error }, "command refused");
          }
          await this.o
            .propose({
              t: "ack",
              device: c.device,
              planVersion: c.token.planVersion,
              phase: c.phase,
              token: c.token,
              accepted: ack.accepted,
              ...(ack.token
                ? { heldToken: { term: ack.token.term, planVersion: ack.token.planVersion } }
                : {}),
              workloads: ack.workloads.map((w) => ({
                app: w.app,
                service: w.service,
                replica: w.replica,
                state: w.state,
              })),
              tsMs: this.o.nowMs(),
            })
            .catch(() => {});
          if (ack.accepted && this.ledSinceMs !== undefined && c.token.term === this.term) {
            this.o.log.info(
              { term: this.term, device: c.device, msSinceLeading: this.o.nowMs() - this.ledSinceMs },
              "first command of this term acknowledged",
            );
            this.ledSinceMs = undefined;
          }
          executor.settled(c.device, ack.accepted, this.o.nowMs());
        })
        .catch(() => {
          this.counters.commandsFailed++;
          executor.settled(c.device, false, this.o.nowMs());
        });
    }
    return !step.complete;
  }

  /** Reachable devices outside the plan's hosts that report running replicas they should not run. */
  private strays(model: ReturnType<typeof regionModel>): string[] {
    const { sm, link, executor } = this.o;
    const out: string[] = [];
    for (const d of link.reportingWorkloads) {
      if (sm.acked(d, "break")) continue;
      const want = new Set(executor.finalSet(sm, model, d).map(workloadKeyOf));
      const live = link.live.get(d)?.workloads ?? [];
      if (live.some((w) => w.state === RUNNING && !want.has(workloadKeyOf(w)))) out.push(d);
    }
    return out;
  }
}

function sameFacts(a: DeviceFacts, b: DeviceFacts): boolean {
  return (
    a.site === b.site &&
    a.tier === b.tier &&
    a.arch === b.arch &&
    a.cpuCores === b.cpuCores &&
    a.memoryBytes === b.memoryBytes &&
    a.gpus === b.gpus &&
    JSON.stringify(a.labels) === JSON.stringify(b.labels)
  );
}
