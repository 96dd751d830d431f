// The agent's reported power against the rig's own INA219 on the same supply: the mean of ten samples each,
// within ±5 % or ±50 mW (whichever is larger) of the rig's meter, per metered board.
import { type HilTest, type Measurement, measure } from "../hil-test.js";

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
    const out: Measurement[] = [];
    const { powerAgreementFraction, powerAgreementW } = rig.manifest.spec.limits;
    for (const b of rig.devices) {
      const meter = rig.meter(b.name);
      if (!meter || !rig.power(b.name)?.on) continue;
      let agentSum = 0;
      let meterSum = 0;
      let lastSeq = rig.telemetry.latest(b.name)?.seq ?? -1;
      const deadline = Date.now() + 60_000;
      let n = 0;
      while (n < SAMPLES && Date.now() < deadline) {
        const s = rig.telemetry.latest(b.name);
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
      const agentW = agentSum / n;
      const meterW = meterSum / n;
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

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
