// The gRPC transport: RaftTransportService.Send for ordinary messages, SendSnapshot for InstallSnapshot chunks
// on a connection of its own, so that a large snapshot never delays heartbeats and votes.
import type * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { raftV1 } from "@qonnect/proto";
import type { Message } from "../message.js";
import { MessageDecodeError, messageFromProto, messageSizeBytes, messageToProto } from "./codec.js";
import { PeerLinks } from "./peer-links.js";
import { type BackoffOptions, PeerStream } from "./peer-stream.js";
import { insecureSecurity, type TransportSecurity } from "./security.js";
import type { MessageHandler, PeerStats, Transport } from "./transport.js";

export interface GrpcTransportOptions {
  /** This node's id. */
  id: number;
  /** Every member's id → HOST:PORT (this node's own entry is ignored for sending). */
  peers: Map<number, string>;
  /** Batches from another cluster are dropped; see clusterName(). */
  cluster: string;
  onMessage: MessageHandler;
  security?: TransportSecurity;
  /** Largest gRPC message sent or accepted. Default 16 MiB. */
  maxMessageBytes?: number;
  /** Per peer and stream. Defaults 10,000 messages and 64 MiB. */
  maxQueueMessages?: number;
  maxQueueBytes?: number;
  backoff?: BackoffOptions;
  /** Keepalive pings find a silently dead connection (a partition) within about twice this. Default 1000 ms. */
  keepaliveMs?: number;
  /**
   * Called when a peer's inbound stream breaks (cancelled or failed: its process is gone or it shut down), with
   * the peer's id; a driver uses it to stop waiting for a dead leader (RaftDriver.peerConnectionLost).
   */
  onPeerConnectionLost?: (peerId: number) => void;
  /** Called for inbound traffic that was refused (wrong cluster, undecodable). */
  onRejected?: (reason: string) => void;
}

const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Channel options for talking to a peer; `separate` asks for a TCP connection not shared with other channels. */
export function channelOptions(
  maxMessageBytes: number,
  keepaliveMs: number,
  separate: boolean,
  backoff: BackoffOptions = {},
): grpc.ChannelOptions {
  return {
    "grpc.max_send_message_length": maxMessageBytes,
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.keepalive_time_ms": keepaliveMs,
    "grpc.keepalive_timeout_ms": keepaliveMs,
    "grpc.keepalive_permit_without_calls": 1,
    // the channel's own reconnect backoff (grpc-js fails calls at once while it waits) follows the stream's
    "grpc.initial_reconnect_backoff_ms": backoff.initialMs ?? 50,
    "grpc.max_reconnect_backoff_ms": backoff.maxMs ?? 1000,
    ...(separate ? { "grpc.use_local_subchannel_pool": 1 } : {}),
  };
}

/** Server options matching channelOptions (message limit, keepalive towards silent clients). */
export function serverOptions(maxMessageBytes: number, keepaliveMs: number): grpc.ServerOptions {
  return {
    "grpc.max_send_message_length": maxMessageBytes,
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.keepalive_time_ms": keepaliveMs,
    "grpc.keepalive_timeout_ms": keepaliveMs,
  };
}

/** A client-streaming call's answer, given at most once (a refusal may come before the stream's end). */
function answerOnce<Res>(callback: grpc.sendUnaryData<Res>) {
  let done = false;
  const finish: grpc.sendUnaryData<Res> = (err, res) => {
    if (done) return;
    done = true;
    callback(err, res);
  };
  return { finish, finished: () => done };
}

export class GrpcTransport implements Transport {
  private readonly links: PeerLinks;
  private unsubscribe: (() => void) | undefined;
  private readonly streams = new Map<number, PeerStream<raftV1.SendRequest>>();
  private readonly snapStreams = new Map<number, PeerStream<raftV1.SendSnapshotRequest>>();
  private readonly maxMessageBytes: number;
  /** Inbound messages and batches dropped (bad sender, undecodable, out of bounds, refused certificate). */
  rejectedMessages = 0;

  constructor(private readonly o: GrpcTransportOptions) {
    this.maxMessageBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const keepaliveMs = o.keepaliveMs ?? 1000;
    this.links = new PeerLinks((separate) =>
      channelOptions(this.maxMessageBytes, keepaliveMs, separate, o.backoff),
    );
  }

  /** Times the transport moved to new channel credentials (a rotated certificate). */
  get rotations(): number {
    return this.links.rotations;
  }

  /** The RaftTransportService implementation, to add to the node's gRPC server. */
  service(): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
    const impl: raftV1.RaftTransportServiceServer = {
      send: (call, callback) => {
        let received = 0;
        const cert = this.certifiedPeer(call);
        if (cert === null)
          return callback({ code: status.UNAUTHENTICATED, details: "no valid member certificate" });
        let peer = 0;
        const { finish, finished } = answerOnce(callback);
        const lost = () => {
          if (peer !== 0) this.o.onPeerConnectionLost?.(peer);
          peer = 0;
        };
        call.on("data", (req: raftV1.SendRequest) => {
          if (finished()) return;
          if (this.revokedSince(cert)) return finish({ code: status.UNAUTHENTICATED, details: "revoked" });
          if (!this.accept(req.cluster, req.from, cert?.id)) return;
          peer = req.from;
          // the peer is up (it reached us): a stream of ours to it waiting out a backoff retries now, so that
          // our answers (votes) reach a restarted peer without delay
          this.streams.get(req.from)?.retryNow();
          for (const p of req.messages) if (this.deliver(p, req.from)) received++;
        });
        call.on("end", () => finish(null, { receivedMessages: received }));
        call.on("cancelled", lost);
        call.on("error", lost);
      },
      sendSnapshot: (call, callback) => {
        let received = 0;
        const cert = this.certifiedPeer(call);
        if (cert === null)
          return callback({ code: status.UNAUTHENTICATED, details: "no valid member certificate" });
        const { finish, finished } = answerOnce(callback);
        call.on("data", (req: raftV1.SendSnapshotRequest) => {
          if (finished()) return;
          if (this.revokedSince(cert)) return finish({ code: status.UNAUTHENTICATED, details: "revoked" });
          if (!this.accept(req.cluster, req.from, cert?.id) || !req.message) return;
          if (this.deliver(req.message, req.from)) received++;
        });
        call.on("end", () => finish(null, { receivedChunks: received }));
        call.on("error", () => {});
      },
    };
    return {
      definition: raftV1.RaftTransportServiceService as unknown as grpc.ServiceDefinition,
      implementation: impl,
    };
  }

  async start(): Promise<void> {
    const security = this.o.security ?? insecureSecurity();
    const queue = {
      maxQueueMessages: this.o.maxQueueMessages ?? 10_000,
      maxQueueBytes: this.o.maxQueueBytes ?? 64 * 1024 * 1024,
      ...(this.o.backoff ? { backoff: this.o.backoff } : {}),
    };
    for (const [peerId, address] of this.o.peers) {
      if (peerId === this.o.id) continue;
      this.links.add(peerId, address, security.channelCredentials);
      const stream = new PeerStream<raftV1.SendRequest>({
        peerId,
        ...queue,
        open: (done) => this.links.get(peerId).client.send((err) => done(err)),
        pack: (msgs) => this.pack(msgs),
      });
      const snapStream = new PeerStream<raftV1.SendSnapshotRequest>({
        peerId,
        ...queue,
        open: (done) => this.links.get(peerId).snapClient.sendSnapshot((err) => done(err)),
        pack: (msgs) =>
          msgs.map((m) => ({ cluster: this.o.cluster, from: this.o.id, message: messageToProto(m) })),
      });
      this.streams.set(peerId, stream);
      this.snapStreams.set(peerId, snapStream);
      stream.start();
    }
    this.unsubscribe = security.onChannelCredentials?.((c) => this.rotate(c));
  }

  /** New credentials (a rotated certificate): the peer streams move to new channels; nothing is dropped. */
  private rotate(creds: grpc.ChannelCredentials): void {
    const peers = new Map([...this.o.peers].filter(([id]) => id !== this.o.id));
    this.links.rotate(peers, creds, (peerId) =>
      Promise.all([this.streams.get(peerId)?.reopen(), this.snapStreams.get(peerId)?.reopen()]),
    );
  }

  send(messages: Message[]): void {
    for (const m of messages) {
      const stream = m.type === "snap" ? this.snapStreams.get(m.to) : this.streams.get(m.to);
      stream?.enqueue(m);
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    for (const s of this.streams.values()) s.stop();
    for (const s of this.snapStreams.values()) s.stop();
    this.links.close();
    this.streams.clear();
    this.snapStreams.clear();
  }

  stats(): Map<number, PeerStats> {
    const out = new Map<number, PeerStats>();
    for (const [id, s] of this.streams) {
      const snap = this.snapStreams.get(id)!.stats;
      out.set(id, {
        sentMessages: s.stats.sentMessages + snap.sentMessages,
        droppedMessages: s.stats.droppedMessages + snap.droppedMessages,
        streamFailures: s.stats.streamFailures + snap.streamFailures,
        connected: s.stats.connected,
      });
    }
    return out;
  }

  /** Splits messages into requests under the size limit; a single message over it is dropped. */
  private pack(messages: Message[]): raftV1.SendRequest[] {
    const limit = this.maxMessageBytes - 1024;
    const out: raftV1.SendRequest[] = [];
    let cur: raftV1.Message[] = [];
    let size = 0;
    for (const m of messages) {
      const n = messageSizeBytes(m);
      if (n > limit) {
        this.o.onRejected?.(
          `outbound ${m.type} to ${m.to} of ~${n} bytes exceeds the ${this.maxMessageBytes}-byte limit`,
        );
        continue;
      }
      if (size + n > limit && cur.length > 0) {
        out.push({ cluster: this.o.cluster, from: this.o.id, messages: cur });
        cur = [];
        size = 0;
      }
      cur.push(messageToProto(m));
      size += n;
    }
    if (cur.length > 0) out.push({ cluster: this.o.cluster, from: this.o.id, messages: cur });
    return out;
  }

  /**
   * With certificate-based ids: the member id and serial of the call's client certificate, or null (refused:
   * no member of this group, or revoked). Without (plain text, tests): undefined, and the batch's `from` is
   * taken as it comes.
   */
  private certifiedPeer(call: {
    getAuthContext?(): { sslPeerCertificate?: { raw?: Buffer; serialNumber?: string } } | null;
  }): { id: number; serial: string } | null | undefined {
    const fromCert = this.o.security?.memberIdFromCertificate;
    if (!fromCert) return undefined;
    const cert = call.getAuthContext?.()?.sslPeerCertificate;
    const id = cert?.raw ? fromCert(cert.raw) : undefined;
    if (id === undefined || !this.o.peers.has(id) || id === this.o.id) {
      this.reject(`peer stream from a certificate that names no other member (${id ?? "none"})`);
      return null;
    }
    const serial = cert?.serialNumber ?? "";
    if (this.o.security?.isRevokedSerial?.(serial)) {
      this.reject(`peer stream from member ${id}'s revoked certificate ${serial}`);
      return null;
    }
    return { id, serial };
  }

  /** The stream's certificate was revoked after the stream opened: its batches are refused from now on. */
  private revokedSince(cert: { id: number; serial: string } | undefined): boolean {
    if (!cert || !this.o.security?.isRevokedSerial?.(cert.serial)) return false;
    this.reject(`batch from member ${cert.id}'s certificate ${cert.serial}, revoked since the stream opened`);
    return true;
  }

  private reject(reason: string): void {
    this.rejectedMessages++;
    this.o.onRejected?.(reason);
  }

  private accept(cluster: string, from: number, certId: number | undefined): boolean {
    if (cluster !== this.o.cluster) {
      this.reject(`batch from node ${from} of cluster ${cluster}, this is ${this.o.cluster}`);
      return false;
    }
    if (certId !== undefined && from !== certId) {
      this.reject(`batch claiming node ${from} from the certificate of node ${certId}`);
      return false;
    }
    if (!this.o.peers.has(from) || from === this.o.id) {
      this.reject(`batch from unknown node ${from}`);
      return false;
    }
    return true;
  }

  /** Never throws: a message that cannot be decoded, or that the handler chokes on, is dropped and counted. */
  private deliver(p: raftV1.Message, from: number): boolean {
    let m: Message;
    try {
      m = messageFromProto(p);
    } catch (err) {
      this.reject(`from node ${from}: ${err instanceof MessageDecodeError ? err.message : String(err)}`);
      return false;
    }
    if (m.to !== this.o.id || m.from !== from) {
      this.reject(`message ${m.type} ${m.from}->${m.to} arrived at node ${this.o.id} from ${from}`);
      return false;
    }
    try {
      this.o.onMessage(m);
    } catch (err) {
      this.reject(`message ${m.type} from node ${from} was refused by the node: ${(err as Error).message}`);
      return false;
    }
    return true;
  }
}
