// The suite, in the order it runs: gentle tests first, the ones that move work last.
import type { HilTest } from "../hil-test.js";
import { brownout } from "./brownout.js";
import { leaderLoss } from "./leader-loss.js";
import { networkCut } from "./network-cut.js";
import { powerAgreement } from "./power-agreement.js";
import { powerCycle } from "./power-cycle.js";
import { replicaFailover } from "./replica-failover.js";

export const SUITE: HilTest[] = [
  powerAgreement,
  powerCycle,
  networkCut,
  brownout,
  replicaFailover,
  leaderLoss,
];
