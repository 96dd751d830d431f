// The gRPC channels a node dials its peers with, and their replacement when the node's certificate rotates:
// new channels are dialled with the new credentials and, once a new connection is up (or could not be made
// within 10 s: the peer is down, and its next attempts use the new channels), the caller moves its streams
// to them; the old channels are closed when those streams have ended.
import type * as grpc from "@grpc/grpc-js";
import { raftV1 } from "@qonnect/proto";

/** One peer's channels: ordinary messages, and snapshots on a TCP connection of their own. */
export interface PeerLink {
  client: raftV1.RaftTransportServiceClient;
  snapClient: raftV1.RaftTransportServiceClient;
}

const READY_WAIT_MS = 10_000;
const DRAIN_WAIT_MS = 10_000;

function closeLink(l: PeerLink): void {
  l.client.close();
  l.snapClient.close();
}

export class PeerLinks {
  private readonly links = new Map<number, PeerLink>();
  /** Channels dialled with rotated credentials, not yet carrying the streams. */
  private readonly pending = new Set<PeerLink>();
  private generation = 0;
  private stopped = false;
  /** Times the links moved to new credentials. */
  rotations = 0;

  /** `options(separate)`: channel options; `separate` asks for a TCP connection of its own. */
  constructor(private readonly options: (separate: boolean) => grpc.ChannelOptions) {}

  private dial(address: string, creds: grpc.ChannelCredentials): PeerLink {
    return {
      client: new raftV1.RaftTransportServiceClient(address, creds, this.options(false)),
      snapClient: new raftV1.RaftTransportServiceClient(address, creds, this.options(true)),
    };
  }

  add(peerId: number, address: string, creds: grpc.ChannelCredentials): void {
    this.links.set(peerId, this.dial(address, creds));
  }

  get(peerId: number): PeerLink {
    const l = this.links.get(peerId);
    if (!l) throw new Error(`no link to peer ${peerId}`);
    return l;
  }

  /**
   * New credentials: per peer, dial new channels; when ready, swap them in and call `move(peerId)` (which
   * resolves when the streams on the old channels have ended), then close the old channels.
   */
  rotate(
    peers: Map<number, string>,
    creds: grpc.ChannelCredentials,
    move: (peerId: number) => Promise<unknown>,
  ) {
    const generation = ++this.generation;
    this.rotations++;
    for (const [peerId, address] of peers) {
      if (!this.links.has(peerId)) continue;
      const next = this.dial(address, creds);
      this.pending.add(next);
      next.client.waitForReady(Date.now() + READY_WAIT_MS, () => {
        this.pending.delete(next);
        if (this.stopped || generation !== this.generation) return closeLink(next);
        const old = this.get(peerId);
        this.links.set(peerId, next);
        const grace = new Promise((r) => setTimeout(r, DRAIN_WAIT_MS).unref());
        void Promise.race([move(peerId), grace]).then(() => closeLink(old));
      });
    }
  }

  close(): void {
    this.stopped = true;
    for (const l of [...this.links.values(), ...this.pending]) closeLink(l);
    this.links.clear();
    this.pending.clear();
  }
}
