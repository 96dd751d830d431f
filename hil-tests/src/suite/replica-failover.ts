// A power cut of the board hosting replica 0: the fog leader declares it dead and re-places the replica on
// another board; measured from the relay opening to the fog leader's verdict on the board (dead: a crash,
// moved at once; unreachable: a cut, moved after the partition grace — said in the note, with the leader's
// reason), to the new placement and to the replica answering there. The board is powered on again
// afterwards, so the rig is whole for the next test.
import { fogV1 } from "@qonnect/proto";
import { type HilTest, measure, secondsUntil } from "../hil-test.js";
import { boardHosting, replicaDevices } from "./placements.js";

export const replicaFailover: HilTest = {
  name: "replica-failover",
  labels: { area: "fog" },
  summary: "power cut of a replica's board → re-placed elsewhere; time to answering",
  needs: (rig) =>
    rig.devices.filter((b) => rig.power(b.name)).length >= 1 && rig.devices.length >= 3
      ? undefined
      : "needs three device boards, one of them with a power relay",
  async run(rig, say) {
    const bound = rig.manifest.spec.limits.replicaAnsweringS;
    const board =
      (await boardHosting(rig, 0, (b) => rig.power(b) !== undefined)) ??
      (await boardHosting(rig, 1, (b) => rig.power(b) !== undefined));
    if (!board)
      throw new Error("no replica runs on a board with a relay; check that the application is placed");
    const replica = (await replicaDevices(rig)).get(0) === board ? 0 : 1;
    const port = rig.replicaPort(replica);
    const offMs = Date.now();
    await rig.power(board)!.set(false);
    say(`${board}: power cut (hosts replica ${replica})`);
    let target = "";
    // the first of each verdict seen; a dead one wins (a transient unreachable, e.g. the region's other
    // boards late under load, can come before it)
    const seen = new Map<string, { afterS: number; reason: string }>();
    const replaced = await secondsUntil(
      async () => {
        const st = await rig.regionState();
        const d = st?.devices.find((x) => x.name === board);
        const name =
          d?.verdict === fogV1.Verdict.VERDICT_DEAD
            ? "dead"
            : d?.verdict === fogV1.Verdict.VERDICT_UNREACHABLE
              ? "unreachable"
              : undefined;
        if (d && name && !seen.has(name))
          seen.set(name, { afterS: (Date.now() - offMs) / 1000, reason: d.verdictReason });
        const now = (await replicaDevices(rig)).get(replica);
        if (now && now !== board) target = now;
        return target !== "";
      },
      bound,
      offMs,
    );
    const answering = await secondsUntil(() => target !== "" && rig.answers(target, port), bound, offMs);
    say(`replica ${replica} → ${target || "nowhere"}`);
    await rig.power(board)!.set(true);
    await secondsUntil(() => rig.telemetry.firstLiveSince(board, Date.now() - 1000) !== undefined, 90);
    const verdictName = seen.has("dead") ? "dead" : seen.has("unreachable") ? "unreachable" : "none";
    const verdict = seen.get(verdictName) ?? { afterS: Number.NaN, reason: "" };
    return [
      measure(
        "cut_to_verdict",
        Math.round(verdict.afterS * 100) / 100,
        "s",
        { high: bound },
        `${verdictName}: ${verdict.reason}`,
      ),
      measure(
        "cut_to_replaced",
        Math.round(replaced * 100) / 100,
        "s",
        { high: bound },
        `${board} → ${target}`,
      ),
      measure("cut_to_answering", Math.round(answering * 100) / 100, "s", { high: bound }),
    ];
  },
};
