// Single-server membership changes: one voter or learner added or removed per committed `conf` entry.
import type { ConfState } from "./entry.js";

export type ConfChangeType = "addVoter" | "addLearner" | "removeNode";

export interface ConfChange {
  type: ConfChangeType;
  nodeId: number;
}

/** Thrown by `decodeConfChange` when a `conf` entry does not hold a ConfChange: a corrupted log. */
export class ConfChangeDecodeError extends Error {
  override name = "ConfChangeDecodeError";
}

const TYPES: readonly ConfChangeType[] = ["addVoter", "addLearner", "removeNode"];

/** Encoded as JSON so that logs stay readable; the durable log stores the bytes as they are. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type: cc.type, nodeId: cc.nodeId }));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    throw new ConfChangeDecodeError("conf entry is not valid JSON", { cause: err });
  }
  const o = v as Partial<ConfChange>;
  if (!o || !TYPES.includes(o.type as ConfChangeType) || !Number.isInteger(o.nodeId) || (o.nodeId ?? 0) < 1)
    throw new ConfChangeDecodeError(`conf entry holds no ConfChange: ${JSON.stringify(v)}`);
  return { type: o.type as ConfChangeType, nodeId: o.nodeId as number };
}

/**
 * Applies one change; idempotent (adding a present node or removing an absent one changes nothing), so that
 * replaying conf entries over a later membership is harmless. Promoting a learner: `addVoter` of a learner.
 */
export function applyConfChange(conf: ConfState, cc: ConfChange): ConfState {
  const voters = conf.voters.filter((id) => id !== cc.nodeId);
  const learners = conf.learners.filter((id) => id !== cc.nodeId);
  if (cc.type === "addVoter") voters.push(cc.nodeId);
  if (cc.type === "addLearner") {
    // etcd refuses to demote a voter this way; so do we (the change is a no-op)
    if (conf.voters.includes(cc.nodeId)) return conf;
    learners.push(cc.nodeId);
  }
  return { voters: voters.sort((a, b) => a - b), learners: learners.sort((a, b) => a - b) };
}
