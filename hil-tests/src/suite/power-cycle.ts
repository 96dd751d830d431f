// Power-cycle a board through its relay: off, a second without power, on; the agent boots again (a new
// registration) and its first live telemetry arrives within the bound. A board that hosts no replica is
// preferred, so the cycle does not also exercise re-placement.
import { type HilTest, measure, secondsUntil, sleep } from "../hil-test.js";
import { replicaDevices } from "./placements.js";

export const powerCycle: HilTest = {
  name: "power-cycle",
  labels: { area: "power" },
  summary: "relay off/on → a new boot and the first telemetry within the bound",
  needs: (rig) =>
    rig.devices.some((b) => rig.power(b.name))
      ? undefined
      : "no selected board has a power relay (spec.boards[].power)",
  async run(rig, say) {
    const hosts = new Set((await replicaDevices(rig)).values());
    const candidates = rig.devices.filter((b) => rig.power(b.name));
    const board = (candidates.find((b) => !hosts.has(b.name)) ?? candidates[0])!.name;
    const relay = rig.power(board)!;
    const bound = rig.manifest.spec.limits.bootToTelemetryS;
    const regsBefore = rig.telemetry.registrations.get(board)?.length ?? 0;
    await relay.set(false);
    say(`${board}: relay off`);
    await sleep(1000);
    const onMs = Date.now();
    await relay.set(true);
    say(`${board}: relay on`);
    const registered = await secondsUntil(
      () => (rig.telemetry.registrations.get(board) ?? []).some((r) => r.receivedMs >= onMs),
      bound,
      onMs,
    );
    const firstTelemetry = await secondsUntil(
      () => rig.telemetry.firstLiveSince(board, onMs) !== undefined,
      bound,
      onMs,
    );
    const boots = (rig.telemetry.registrations.get(board)?.length ?? 0) - regsBefore;
    return [
      measure("new_boot_registrations", boots, "count", { low: 1 }, board),
      measure("on_to_registration", round(registered), "s", { high: bound }),
      measure("on_to_first_telemetry", round(firstTelemetry), "s", { high: bound }),
    ];
  },
};

const round = (x: number) => Math.round(x * 100) / 100;
