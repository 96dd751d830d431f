// The fog leader's board loses power: the region elects a new leader within the bound, and no replica runs
// on two devices at once for longer than the stop-acknowledgement deadline (a double run, DESIGN.md §5)
// while the leadership changes. The board is powered on again afterwards.
import { type HilTest, measure, secondsUntil, sleep } from "../hil-test.js";
import type { RigUnderTest } from "../rig-under-test.js";

/** How long two devices may both report a replica running while a move completes (DESIGN.md §5). */
const STOP_ACK_DEADLINE_S = 5;

/** Longest time any replica was reported running by two devices at once, sampled until `stop()`. */
function doubleRunMonitor(rig: RigUnderTest): { stop(): number } {
  const since = new Map<string, number>();
  let worstS = 0;
  const timer = setInterval(() => {
    const nowMs = Date.now();
    const count = new Map<string, number>();
    for (const b of rig.devices) {
      const s = rig.telemetry.latest(b.name);
      if (!s || nowMs - s.receivedMs > 3000) continue; // a silent device reports nothing
      for (const key of s.running) count.set(key, (count.get(key) ?? 0) + 1);
    }
    for (const [key, n] of count)
      if (n > 1) {
        const start = since.get(key) ?? nowMs;
        since.set(key, start);
        worstS = Math.max(worstS, (nowMs - start) / 1000);
      } else since.delete(key);
    for (const key of since.keys()) if (!count.has(key)) since.delete(key);
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return worstS;
    },
  };
}

export const leaderLoss: HilTest = {
  name: "leader-loss",
  labels: { area: "fog" },
  summary: "fog leader's board off → a new leader, no double runs",
  needs: (rig) =>
    rig.fogBoards.length >= 3 && rig.fogBoards.every((b) => rig.power(b.name))
      ? undefined
      : "needs three fog boards, each with a power relay",
  async run(rig, say) {
    const bound = rig.manifest.spec.limits.leaderElectionS;
    const before = await rig.regionState();
    const leaderId = Number(before?.leaderId ?? 0);
    const board = rig.fogBoardOf(leaderId);
    if (!board)
      throw new Error(`the region reports leader ${leaderId}, which is none of the rig's fog boards`);
    const monitor = doubleRunMonitor(rig);
    const offMs = Date.now();
    await rig.power(board.name)!.set(false);
    say(`${board.name}: power cut (fog leader ${leaderId}, term ${before?.term})`);
    let newLeader = 0;
    const elected = await secondsUntil(
      async () => {
        const st = await rig.regionState();
        if (
          st &&
          Number(st.leaderId) !== 0 &&
          Number(st.leaderId) !== leaderId &&
          st.term > (before?.term ?? 0)
        )
          newLeader = Number(st.leaderId);
        return newLeader !== 0;
      },
      bound,
      offMs,
    );
    await sleep(STOP_ACK_DEADLINE_S * 1000);
    const worst = monitor.stop();
    say(`new leader ${newLeader || "none"}; longest overlap ${worst.toFixed(1)} s`);
    await rig.power(board.name)!.set(true);
    return [
      measure(
        "cut_to_new_leader",
        Math.round(elected * 100) / 100,
        "s",
        { high: bound },
        `${leaderId} → ${newLeader}`,
      ),
      measure("longest_double_run", Math.round(worst * 100) / 100, "s", { high: STOP_ACK_DEADLINE_S }),
    ];
  },
};
