// WatchRegion's live events, raised on every member as it applies the log (so any member can serve a watch):
// verdict changes and committed plans from the state machine, leadership changes from the driver.
import type { fogV1 } from "@qonnect/proto";
import type { RegionStateMachine } from "./region-state.js";
import { moveToProto, verdictToProto } from "./region-view.js";

type Listener = (e: fogV1.RegionEvent) => void;

export class RegionEvents {
  private readonly listeners = new Set<Listener>();

  constructor(sm: RegionStateMachine) {
    sm.onApplied = (cmd, result, before) => {
      if (this.listeners.size === 0) return;
      if (cmd.t === "verdicts")
        for (const c of cmd.changes) {
          const from = before.verdicts?.get(c.device) ?? "unspecified";
          if (from === c.verdict || !sm.devices.has(c.device)) continue;
          this.emit({
            tsMs: cmd.tsMs,
            event: {
              $case: "verdict",
              value: {
                device: c.device,
                from: verdictToProto(from),
                to: verdictToProto(c.verdict),
                reason: c.reason,
              },
            },
          });
        }
      if (cmd.t === "plan" && result.kind === "plan" && !result.duplicate)
        this.emit({
          tsMs: cmd.tsMs,
          event: {
            $case: "plan",
            value: {
              planVersion: result.planVersion,
              planId: cmd.planId,
              origin: cmd.origin,
              moves: cmd.moves.map((m) =>
                moveToProto({ ...m, planVersion: result.planVersion, origin: cmd.origin }),
              ),
            },
          },
        });
    };
  }

  leader(leaderId: number, term: number, tsMs: number): void {
    this.emit({ tsMs, event: { $case: "leader", value: { leaderId, term } } });
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    this.listeners.clear();
  }

  private emit(e: fogV1.RegionEvent): void {
    for (const l of this.listeners) l(e);
  }
}
