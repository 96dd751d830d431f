// A brownout: the relay drops a board's power for brownoutMs (200 ms) and restores it. The agent boots again
// with its durable state intact: the fencing token it holds is not lower than before (a stale command is
// refused), and its telemetry sequence continues rather than starting over.
import { telemetryV1 } from "@qonnect/proto";
import { type HilTest, measure, secondsUntil, sleep } from "../hil-test.js";
import { boardHosting } from "./placements.js";

const STALE = telemetryV1.FencingToken.create({ term: 0, planVersion: 0 });

function tokenValue(t: telemetryV1.FencingToken | undefined): number {
  return t ? Number(t.term) * 1e9 + Number(t.planVersion) : 0;
}

export const brownout: HilTest = {
  name: "brownout",
  labels: { area: "power" },
  summary: "power off for 200 ms → the agent restarts with its state and token intact",
  needs: (rig) =>
    rig.devices.some((b) => rig.power(b.name))
      ? undefined
      : "no selected board has a power relay (spec.boards[].power)",
  async run(rig, say) {
    const { brownoutMs, bootToTelemetryS } = rig.manifest.spec.limits;
    const board =
      (await boardHosting(rig, 1, (b) => rig.power(b) !== undefined)) ??
      rig.devices.find((b) => rig.power(b.name))!.name;
    const relay = rig.power(board)!;
    const stale = (): Promise<telemetryV1.CommandAck> =>
      rig.command(
        board,
        telemetryV1.DeviceCommand.create({ device: board, token: STALE, workloads: [], tsMs: Date.now() }),
      );
    const ackBefore = await stale();
    const seqBefore = rig.telemetry.latest(board)?.seq ?? 0;
    await relay.set(false);
    await sleep(brownoutMs);
    const onMs = Date.now();
    await relay.set(true);
    say(`${board}: power off for ${brownoutMs} ms, then on`);
    const back = await secondsUntil(
      () => rig.telemetry.firstLiveSince(board, onMs) !== undefined,
      bootToTelemetryS,
      onMs,
    );
    const registered = (rig.telemetry.registrations.get(board) ?? []).some((r) => r.receivedMs >= onMs);
    const firstSeq = rig.telemetry.firstLiveSince(board, onMs)?.seq ?? 0;
    const ackAfter = await stale();
    return [
      measure(
        "rebooted",
        registered ? 1 : 0,
        "bool",
        { low: 1 },
        `${board} registered again after the brownout`,
      ),
      measure("on_to_first_telemetry", Math.round(back * 100) / 100, "s", { high: bootToTelemetryS }),
      measure("stale_command_refused_before", ackBefore.accepted ? 0 : 1, "bool", { low: 1 }),
      measure("stale_command_refused_after", ackAfter.accepted ? 0 : 1, "bool", { low: 1 }, ackAfter.error),
      measure(
        "token_kept",
        tokenValue(ackAfter.token) >= tokenValue(ackBefore.token) && tokenValue(ackBefore.token) > 0 ? 1 : 0,
        "bool",
        { low: 1 },
        `before (${ackBefore.token?.term}, ${ackBefore.token?.planVersion}), after (${ackAfter.token?.term}, ${ackAfter.token?.planVersion})`,
      ),
      measure(
        "sequence_continues",
        firstSeq > seqBefore ? 1 : 0,
        "bool",
        { low: 1 },
        `last ${seqBefore} before, first ${firstSeq} after`,
      ),
    ];
  },
};
