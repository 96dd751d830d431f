// A fog board of the simulated rig: its "power" is its fog lead's process group (off: SIGKILL to the group,
// on: the Federation starts the lead again on its data directory).
import type { Federation } from "@qonnect/sim";
import type { PowerSwitch } from "./relay.js";

/** A fog board's power: its fog lead's process group (SIGKILL off, start again on). */
export class FogBoardSwitch implements PowerSwitch {
  #on = true;
  constructor(
    readonly board: string,
    readonly fed: Federation,
    readonly region: string,
    readonly member: number,
  ) {}
  get on(): boolean {
    return this.#on;
  }
  #lead() {
    return this.fed.fog.get(this.region)?.find((l) => l.id === this.member);
  }
  async set(on: boolean): Promise<void> {
    const lead = this.#lead();
    if (!lead || on === this.#on) return;
    if (on) this.fed.restartLead(lead);
    else await lead.process.kill();
    this.#on = on;
  }
  safeAction() {
    const lead = this.#lead();
    return { kind: "kill" as const, pgid: lead?.process.running() ? lead.process.pgid : -1 };
  }
  async close(): Promise<void> {}
}
