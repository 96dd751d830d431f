// The agent's reported power against the rig's own INA219 on the same supply: the mean of ten samples each,
// within ±5 % or ±50 mW (whichever is larger) of the rig's meter, per metered board (all boards at once).
import { type HilTest, type Measurement, measure } from "../hil-test.js";
import type { RigUnderTest } from "../rig-under-test.js";

const SAMPLES = 10;

export const powerAgreement: HilTest = {
  name: "power-agreement",
  labels: { area: "energy" },
  summary: "agent-reported power within ±5 % or ±50 mW of the rig's meter",
  needs: (rig) =>
    rig.devices.some((b) => rig.meter(b.name))
      ? undefined
      : "no selected board has a rig meter (spec.boards[].meter)",
  async run(rig, say) {
    const { powerAgreementFraction, powerAgreementW } = rig.manifest.spec.limits;
    const boards = rig.devices.filter((b) => rig.meter(b.name) && rig.power(b.name)?.on);
    // every board at once: each has its own meter and its own telemetry, so nothing is shared but the time
    const means = await Promise.all(boards.map((b) => sampleBoth(rig, b.name)));
    const out: Measurement[] = [];
    for (const [i, b] of boards.entries()) {
      const { agentW, meterW, n } = means[i]!;
      const limit = Math.max(powerAgreementFraction * meterW, powerAgreementW);
      say(`${b.name}: agent ${agentW.toFixed(3)} W, rig meter ${meterW.toFixed(3)} W over ${n} samples`);
      out.push(measure(`${b.name}.meter_power`, round(meterW), "W", {}, `mean of ${n} readings`));
      out.push(measure(`${b.name}.agent_power`, round(agentW), "W", {}, `mean of ${n} telemetry samples`));
      out.push(
        measure(`${b.name}.power_difference`, round(agentW - meterW), "W", {
          low: -round(limit),
          high: round(limit),
        }),
      );
    }
    return out;
  },
};

/** The means of SAMPLES live telemetry samples of `board` and of the rig meter read as each arrived. */
async function sampleBoth(
  rig: RigUnderTest,
  board: string,
): Promise<{ agentW: number; meterW: number; n: number }> {
  const meter = rig.meter(board)!;
  let agentSum = 0;
  let meterSum = 0;
  let lastSeq = rig.telemetry.latest(board)?.seq ?? -1;
  const deadline = Date.now() + 60_000;
  let n = 0;
  while (n < SAMPLES && Date.now() < deadline) {
    const s = rig.telemetry.latest(board);
    if (s && s.seq > lastSeq && !s.late) {
      lastSeq = s.seq;
      const m = await meter.read();
      if (m.valid && m.powerW !== undefined) {
        agentSum += s.powerW;
        meterSum += m.powerW;
        n++;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { agentW: agentSum / n, meterW: meterSum / n, n };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
