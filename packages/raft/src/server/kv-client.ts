// A raft-kv client that finds the leader itself. It retries what certainly did not happen (not the leader, the
// proposal was displaced, the connection was never made) and reports anything else about a write as
// KvOutcomeUnknownError: never a success it cannot vouch for.
import * as grpc from "@grpc/grpc-js";
import { raftV1 } from "@qonnect/proto";
import { insecureSecurity, type TransportSecurity } from "../transport/security.js";
import { LEADER_ADDRESS_KEY } from "./kv-service.js";

/** A write may or may not have been applied. */
export class KvOutcomeUnknownError extends Error {
  override name = "KvOutcomeUnknownError";
  constructor(
    readonly endpoint: string,
    readonly reason: string,
  ) {
    super(`outcome unknown at ${endpoint}: ${reason}`);
  }
}

/** No leader answered before the deadline; the request was not performed. */
export class KvUnavailableError extends Error {
  override name = "KvUnavailableError";
  constructor(readonly reason: string) {
    super(`no leader available: ${reason}`);
  }
}

export interface KvClientOptions {
  security?: TransportSecurity;
  /** Overall time for one operation, retries included. Default 10,000 ms. */
  timeoutMs?: number;
  /** Time for one attempt at one node. Default 6,000 ms (longer than the server's proposal timeout). */
  attemptTimeoutMs?: number;
}

type Call<T> = (
  c: raftV1.KvServiceClient,
  deadline: Date,
  cb: (err: grpc.ServiceError | null, r: T) => void,
) => void;

/** UNAVAILABLE before anything was sent: the connection was never established. */
function neverSent(err: grpc.ServiceError): boolean {
  return (
    err.code === grpc.status.UNAVAILABLE &&
    /No connection established|ECONNREFUSED|EHOSTUNREACH/i.test(err.details)
  );
}

export class KvClient {
  private readonly clients = new Map<string, raftV1.KvServiceClient>();
  private leader: string | undefined;
  private readonly security: TransportSecurity;

  constructor(
    readonly endpoints: string[],
    private readonly o: KvClientOptions = {},
  ) {
    if (endpoints.length === 0) throw new KvUnavailableError("no endpoints given");
    this.security = o.security ?? insecureSecurity();
  }

  put(key: string, value: Uint8Array): Promise<raftV1.PutResponse> {
    return this.write((c, deadline, cb) => c.put({ key, value }, new grpc.Metadata(), { deadline }, cb));
  }

  /** Compare-and-set: `expected` undefined means "only if the key does not exist". */
  cas(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<raftV1.CasResponse> {
    const req = { key, expected: expected ?? new Uint8Array(), expectAbsent: expected === undefined, value };
    return this.write((c, deadline, cb) => c.cas(req, new grpc.Metadata(), { deadline }, cb));
  }

  /** Linearizable read (ReadIndex on the leader). */
  get(key: string): Promise<raftV1.GetResponse> {
    return this.run((c, deadline, cb) => c.get({ key }, new grpc.Metadata(), { deadline }, cb), false);
  }

  /** Status of one endpoint. */
  status(endpoint: string, timeoutMs = 1000): Promise<raftV1.StatusResponse> {
    const deadline = new Date(Date.now() + timeoutMs);
    return new Promise((resolve, reject) =>
      this.client(endpoint).status({}, new grpc.Metadata(), { deadline }, (err, r) =>
        err ? reject(err) : resolve(r),
      ),
    );
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private write<T>(call: Call<T>): Promise<T> {
    return this.run(call, true);
  }

  private async run<T>(call: Call<T>, isWrite: boolean): Promise<T> {
    const deadlineMs = Date.now() + (this.o.timeoutMs ?? 10_000);
    let lastReason = "no attempt";
    while (Date.now() < deadlineMs) {
      const endpoint = this.leader ?? (await this.findLeader(deadlineMs));
      if (!endpoint) break;
      const attemptDeadline = new Date(Math.min(deadlineMs, Date.now() + (this.o.attemptTimeoutMs ?? 6000)));
      try {
        return await new Promise<T>((resolve, reject) =>
          call(this.client(endpoint), attemptDeadline, (err, r) => (err ? reject(err) : resolve(r))),
        );
      } catch (e) {
        const err = e as grpc.ServiceError;
        lastReason = `${grpc.status[err.code] ?? err.code}: ${err.details}`;
        if (err.code === grpc.status.FAILED_PRECONDITION) {
          const hint = err.metadata?.get(LEADER_ADDRESS_KEY)[0];
          this.leader = typeof hint === "string" && hint !== endpoint ? hint : undefined;
          if (!this.leader) await sleep(50);
          continue;
        }
        this.leader = undefined;
        if (err.code === grpc.status.RESOURCE_EXHAUSTED) {
          await sleep(50);
          continue;
        }
        if (err.code === grpc.status.ABORTED || neverSent(err) || !isWrite) {
          await sleep(20);
          continue;
        }
        throw new KvOutcomeUnknownError(endpoint, lastReason);
      }
    }
    throw new KvUnavailableError(lastReason);
  }

  /**
   * Asks every endpoint who leads; the leader with the highest term wins. A follower's answer names the leader's
   * address: that hint is asked too, so one reachable member is enough. Undefined at the deadline.
   */
  private async findLeader(deadlineMs: number): Promise<string | undefined> {
    const ask = (eps: string[]) =>
      Promise.all(
        eps.map((ep) =>
          this.status(ep, Math.max(1, Math.min(500, deadlineMs - Date.now()))).then(
            (s) => ({ ep, s }),
            () => undefined,
          ),
        ),
      );
    while (Date.now() < deadlineMs) {
      const answers = (await ask(this.endpoints)).filter((a) => a !== undefined);
      const hints = [...new Set(answers.map((a) => a.s.leaderAddress))].filter(
        (h) => h !== "" && !this.endpoints.includes(h),
      );
      if (hints.length > 0) answers.push(...(await ask(hints)).filter((a) => a !== undefined));
      let best: { ep: string; s: raftV1.StatusResponse } | undefined;
      for (const a of answers) if (a.s.role === "leader" && (!best || a.s.term > best.s.term)) best = a;
      if (best) {
        this.leader = best.ep;
        return best.ep;
      }
      await sleep(50);
    }
    return undefined;
  }

  private client(endpoint: string): raftV1.KvServiceClient {
    let c = this.clients.get(endpoint);
    if (!c) {
      c = new raftV1.KvServiceClient(endpoint, this.security.channelCredentials, {
        "grpc.initial_reconnect_backoff_ms": 50,
        "grpc.max_reconnect_backoff_ms": 500,
      });
      this.clients.set(endpoint, c);
    }
    return c;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
