// How a driver moves Raft messages between nodes. The core never sees this: it emits messages in a Ready and
// the driver hands them to a Transport; whatever arrives is stepped into the core.
import type { Message } from "../message.js";

/**
 * Delivery is best effort, as Raft expects: messages may be dropped (a peer is down, its queue is full) and are
 * then re-sent by the protocol itself. Messages to one peer are sent in order; InstallSnapshot chunks (`snap`)
 * travel separately and never delay other messages.
 */
export interface Transport {
  /** Starts listening for peers (when the transport owns its endpoint) and connecting to them. */
  start(): Promise<void>;
  /** Queues messages for their receivers (`m.to`); never blocks, never throws for an unreachable peer. */
  send(messages: Message[]): void;
  /** Closes every connection; queued messages are dropped. */
  stop(): Promise<void>;
  /** Counters per peer, for status pages and tests. */
  stats(): Map<number, PeerStats>;
}

export interface PeerStats {
  sentMessages: number;
  droppedMessages: number;
  /** Connection attempts that failed or broke. */
  streamFailures: number;
  /** Whether a stream is open right now (it may still fail on its first write). */
  connected: boolean;
}

/** Called for every message received from a peer, in arrival order. */
export type MessageHandler = (m: Message) => void;

/** Thrown for a peer list that cannot work (duplicate ids, a malformed address). */
export class PeerConfigError extends Error {
  override name = "PeerConfigError";
}

/** Parses `1=host:port,2=host:port` into id → address. */
export function parsePeers(spec: string): Map<number, string> {
  const peers = new Map<number, string>();
  for (const part of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)=(.+:\d+)$/.exec(part);
    if (!m) throw new PeerConfigError(`peer "${part}" is not ID=HOST:PORT`);
    const id = Number(m[1]);
    if (id < 1) throw new PeerConfigError(`peer id must be ≥ 1 in "${part}"`);
    if (peers.has(id)) throw new PeerConfigError(`peer id ${id} appears twice`);
    peers.set(id, m[2]!);
  }
  if (peers.size === 0) throw new PeerConfigError("the peer list is empty");
  return peers;
}

/** A short name for the cluster, the same on every member given the same peer list. */
export function clusterName(peers: Map<number, string>): string {
  const text = [...peers]
    .sort((a, b) => a[0] - b[0])
    .map(([id, addr]) => `${id}=${addr}`)
    .join(",");
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}
