// Cut a replica's board off the network (nft drop, silently) for networkCutS, shorter than the application's
// partition grace: nothing may move during the cut, and once the link is back the board's telemetry continues
// without a sequence gap (what could not be delivered was spooled and replayed, or delivered late by TCP).
import { fogV1 } from "@qonnect/proto";
import { type HilTest, type Measurement, measure, secondsUntil, sleep } from "../hil-test.js";
import { boardHosting, replicaDevices } from "./placements.js";

export const networkCut: HilTest = {
  name: "network-cut",
  labels: { area: "network" },
  summary: "network cut shorter than the grace → no workload moved, telemetry replayed without a gap",
  needs: (rig) =>
    rig.devices.some((b) => rig.network(b.name))
      ? undefined
      : "no selected board has network control (spec.boards[].network)",
  async run(rig, say) {
    const { networkCutS, partitionGraceS } = rig.manifest.spec.limits;
    const board =
      (await boardHosting(rig, 0, (b) => rig.network(b) !== undefined)) ??
      (await boardHosting(rig, 1, (b) => rig.network(b) !== undefined)) ??
      rig.devices.find((b) => rig.network(b.name))!.name;
    const before = await replicaDevices(rig);
    const net = rig.network(board)!;
    const lastSeqBefore = rig.telemetry.latest(board)?.seq ?? 0;
    const cutMs = Date.now();
    await net.cut();
    say(`${board}: network cut for ${networkCutS} s (grace ${partitionGraceS} s)`);
    let moved = 0;
    let unreachableAfterS = Number.NaN;
    let deadSeen = false;
    while (Date.now() - cutMs < networkCutS * 1000) {
      const st = await rig.regionState().catch(() => undefined);
      const verdict = st?.devices.find((d) => d.name === board)?.verdict;
      if (verdict === fogV1.Verdict.VERDICT_UNREACHABLE && Number.isNaN(unreachableAfterS))
        unreachableAfterS = (Date.now() - cutMs) / 1000;
      if (verdict === fogV1.Verdict.VERDICT_DEAD) deadSeen = true;
      const now = await replicaDevices(rig).catch(() => before);
      for (const [r, d] of before) if (d === board && isElsewhere(now.get(r), board)) moved++;
      await sleep(500);
    }
    await net.restore();
    const restoreMs = Date.now();
    say(`${board}: network restored`);
    const live = await secondsUntil(
      () => rig.telemetry.firstLiveSince(board, restoreMs) !== undefined,
      60,
      restoreMs,
    );
    // complete when every sequence number from before the cut to the newest one has arrived
    const replayed = await secondsUntil(
      () => {
        const latest = rig.telemetry.latest(board)?.seq ?? 0;
        return latest > lastSeqBefore + 1 && rig.telemetry.missingSeqs(board, cutMs - 2000).length === 0;
      },
      60,
      restoreMs,
    );
    const missing = rig.telemetry.missingSeqs(board, cutMs - 2000);
    const late = rig.telemetry.of(board).filter((s) => s.receivedMs >= cutMs && s.late).length;
    const after = await replicaDevices(rig);
    for (const [r, d] of before) if (d === board && isElsewhere(after.get(r), board)) moved++;
    const out: Measurement[] = [
      measure(
        "cut_to_unreachable_verdict",
        round(unreachableAfterS),
        "s",
        { high: networkCutS },
        "the fog leader tells a cut from a crash",
      ),
      measure("dead_verdicts_during_cut", deadSeen ? 1 : 0, "count", { high: 0 }),
      measure(
        "replica_moves_during_cut",
        moved,
        "count",
        { high: 0 },
        `${board}, cut ${networkCutS} s < grace ${partitionGraceS} s`,
      ),
      measure("restore_to_live_telemetry", round(live), "s", { high: 60 }),
      measure("restore_to_gapless_telemetry", round(replayed), "s", { high: 60 }),
      measure("missing_sequence_numbers", missing.length, "count", { high: 0 }),
      measure(
        "samples_replayed_from_spool",
        late,
        "count",
        {},
        "late=true; TCP may also deliver held samples itself",
      ),
    ];
    return out;
  },
};

/** A replica counts as moved when a fog lead places it on another device (a view without it says nothing). */
const isElsewhere = (device: string | undefined, board: string) => device !== undefined && device !== board;

const round = (x: number) => Math.round(x * 100) / 100;
