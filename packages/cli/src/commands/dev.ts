import type { Register } from "./index.js";
import { registerRaftSim } from "./raft-sim.js";

/** Registrars for `qonnect dev <tool>`: tools for developers and evaluators (raft-kv, raft-sim, ...). */
const DEV_TOOLS: Register[] = [registerRaftSim];

export const registerDev: Register = (program, io, outcome) => {
  const dev = program.command("dev").description("developer tools: test harnesses and simulators");
  for (const register of DEV_TOOLS) register(dev, io, outcome);
};
