import { readFileSync } from "node:fs";
import { loadBundle, natsConnectOptions } from "@qonnect/pki";
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  headers,
  type JetStreamClient,
  type NatsConnection,
  type PubAck,
  type Subscription,
} from "nats";
import type { AgentConfig } from "./config/config.js";

export interface NatsLinkEvents {
  /** first connect and every reconnect */
  onConnect(server: string): void;
  onDisconnect(): void;
  onError(err: Error): void;
}

/** A request the agent answers: payload in, reply payload out. */
export type RequestHandler = (data: Uint8Array) => Promise<Uint8Array>;

/**
 * The agent's NATS connection: connects in the background and keeps reconnecting forever, so the agent
 * runs (and spools) from the first second whether or not a server is reachable.
 */
export class NatsLink {
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private closed = false;
  private firstErrorReported = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly subs: { subject: string; handler: RequestHandler }[] = [];
  connected = false;
  server = "";

  constructor(
    private readonly config: AgentConfig["nats"],
    private readonly name: string,
    private readonly events: NatsLinkEvents,
  ) {}

  /** Connects in the background, retrying the first connection until it succeeds or `close()` is called. */
  start(): void {
    if (this.closed || this.nc) return;
    const options: ConnectionOptions = {
      servers: this.config.servers,
      name: this.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.config.reconnectWaitMs,
      reconnectJitter: Math.min(100, this.config.reconnectWaitMs),
      pingInterval: 10_000,
      maxPingOut: 2,
      user: this.config.user,
      pass: this.config.password,
      token: this.config.token,
    };
    if (this.config.bundleDir) {
      // TLS required with the deployment's CA pinned, client certificate, creds re-read at every connect
      try {
        Object.assign(options, natsConnectOptions(loadBundle(this.config.bundleDir), this.config.servers), {
          name: this.name,
        });
      } catch (err) {
        this.events.onError(err as Error);
        this.retryTimer = setTimeout(() => this.start(), this.config.reconnectWaitMs);
        return;
      }
    } else if (this.config.credentialsFile)
      options.authenticator = credsAuthenticator(readFileSync(this.config.credentialsFile));
    connect(options).then(
      (nc) => this.attach(nc),
      (err: Error) => {
        if (this.closed) return;
        if (!this.firstErrorReported)
          this.events.onError(
            new Error(
              `cannot reach NATS at ${this.config.servers.join(", ")} (${err.message}); ` +
                `spooling telemetry and retrying every ${this.config.reconnectWaitMs} ms`,
              { cause: err },
            ),
          );
        this.firstErrorReported = true;
        this.retryTimer = setTimeout(() => this.start(), this.config.reconnectWaitMs);
      },
    );
  }

  /** Answers requests on `subject` (kept across reconnects). */
  serve(subject: string, handler: RequestHandler): void {
    this.subs.push({ subject, handler });
    if (this.nc) this.subscribe(this.nc, subject, handler);
  }

  publish(subject: string, data: Uint8Array): void {
    this.nc?.publish(subject, data);
  }

  /**
   * Publishes through JetStream: resolves with the stream's acknowledgement (the sample is stored), rejects
   * when no stream acknowledges within `timeoutMs` or the link is down. `msgID` de-duplicates a re-send.
   */
  publishAcked(subject: string, data: Uint8Array, msgID: string, timeoutMs: number): Promise<PubAck> {
    const nc = this.nc;
    if (!nc || !this.connected) return Promise.reject(new Error("not connected"));
    this.js ??= nc.jetstream();
    return this.js.publish(subject, data, { msgID, timeout: timeoutMs });
  }

  /** A plain publish carrying the JetStream message id, so a stream that stores it recognises a re-send. */
  publishWithId(subject: string, data: Uint8Array, msgID: string): void {
    const h = headers();
    h.set("Nats-Msg-Id", msgID);
    this.nc?.publish(subject, data, { headers: h });
  }

  /** Resolves once the server has seen everything published so far; rejects after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    const nc = this.nc;
    if (!nc) throw new Error("not connected");
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        nc.flush(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`flush timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const nc = this.nc;
    this.nc = undefined;
    this.js = undefined;
    this.connected = false;
    if (nc) await nc.drain().catch(() => nc.close());
  }

  private attach(nc: NatsConnection): void {
    if (this.closed) {
      void nc.close();
      return;
    }
    this.nc = nc;
    for (const { subject, handler } of this.subs) this.subscribe(nc, subject, handler);
    this.connected = true;
    this.server = nc.getServer();
    this.events.onConnect(this.server);
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") {
          this.connected = false;
          this.events.onDisconnect();
        } else if (s.type === "reconnect") {
          this.connected = true;
          this.server = nc.getServer();
          this.events.onConnect(this.server);
        }
      }
    })().catch((err: Error) => this.events.onError(err));
    nc.closed().then((err) => {
      this.connected = false;
      if (err && !this.closed) this.events.onError(err);
    });
  }

  private subscribe(nc: NatsConnection, subject: string, handler: RequestHandler): Subscription {
    return nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return this.events.onError(err);
        handler(msg.data).then(
          (reply) => msg.respond(reply),
          (e: Error) => this.events.onError(e),
        );
      },
    });
  }
}
