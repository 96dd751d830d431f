import type { Register } from "./index.js";
import { registerRaftKv } from "./raft-kv.js";
import { registerRaftSim } from "./raft-sim.js";

/** Registrars for `qonnect dev <tool>`: tools for developers and evaluators (raft-kv, raft-sim, ...). */
const DEV_TOOLS: Register[] = [registerRaftKv, registerRaftSim];

export const registerDev: Register = (program, io, outcome) => {
  const dev = program.command("dev").description("developer tools: test harnesses and simulators");
  for (const register of DEV_TOOLS) register(dev, io, outcome);
};
