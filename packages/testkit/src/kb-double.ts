// A small, faithful double of the Knowledge Base's side of qonnect.fog.v1 (DESIGN.md §5), for fog tests:
// an ApplyPlan/GetRegion client that follows the `qonnect-leader` hint of a follower and retries through
// elections, and a subscriber that reassembles the leader's RegionSummary parts from NATS. It does what the
// real Knowledge Base does on this contract and nothing more.
import * as grpc from "@grpc/grpc-js";
import { fogV1 } from "@qonnect/proto";
import { connect, type NatsConnection } from "nats";

export const LEADER_METADATA = "qonnect-leader";
export const PLAN_VERSION_METADATA = "qonnect-plan-version";

/** ApplyPlan refused because the plan was computed from an older region picture. */
export class StalePlanError extends Error {
  override name = "StalePlanError";
  constructor(
    readonly currentVersion: number,
    message: string,
  ) {
    super(message);
  }
}

/** No member answered as leader before the deadline. */
export class RegionUnavailableError extends Error {
  override name = "RegionUnavailableError";
}

export interface KbDoubleOptions {
  /** Default plaintext (tests); pass grpc.credentials.createSsl(...) for TLS. */
  credentials?: grpc.ChannelCredentials;
  /** Whole-call budget including retries; default 20 s. */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class KbDouble {
  private readonly clients = new Map<string, fogV1.FogLeadClient>();
  private leader: string | undefined;
  /** Every leader hint followed, in order (tests check the client really followed one). */
  readonly hintsFollowed: string[] = [];

  constructor(
    readonly endpoints: string[],
    private readonly o: KbDoubleOptions = {},
  ) {}

  private client(addr: string): fogV1.FogLeadClient {
    let c = this.clients.get(addr);
    if (!c) {
      c = new fogV1.FogLeadClient(addr, this.o.credentials ?? grpc.credentials.createInsecure());
      this.clients.set(addr, c);
    }
    return c;
  }

  /** Calls `method` on the leader: the last one known, else each endpoint in turn, following hints. */
  private async onLeader<Req, Res>(
    method: (
      c: fogV1.FogLeadClient,
      req: Req,
      md: grpc.Metadata,
      opts: grpc.CallOptions,
      cb: (e: grpc.ServiceError | null, r: Res) => void,
    ) => void,
    req: Req,
  ): Promise<Res> {
    const deadline = Date.now() + (this.o.timeoutMs ?? 20_000);
    let i = 0;
    let last = "";
    while (Date.now() < deadline) {
      const addr = this.leader ?? this.endpoints[i++ % this.endpoints.length]!;
      try {
        return await new Promise<Res>((resolve, reject) =>
          method(this.client(addr), req, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (e, r) =>
            e ? reject(e) : resolve(r),
          ),
        );
      } catch (err) {
        const e = err as grpc.ServiceError;
        last = `${addr}: ${e.message}`;
        if (e.code === grpc.status.FAILED_PRECONDITION) {
          const v = e.metadata?.get(PLAN_VERSION_METADATA)[0];
          if (v !== undefined) throw new StalePlanError(Number(v), e.details);
          throw err;
        }
        if (e.code === grpc.status.INVALID_ARGUMENT || e.code === grpc.status.NOT_FOUND) throw err;
        const hint = e.metadata?.get(LEADER_METADATA)[0];
        if (e.code === grpc.status.UNAVAILABLE && typeof hint === "string" && hint !== addr) {
          this.leader = hint;
          this.hintsFollowed.push(hint);
          continue;
        }
        this.leader = undefined;
        await sleep(100);
      }
    }
    throw new RegionUnavailableError(`no fog leader answered in time (last: ${last})`);
  }

  applyPlan(req: fogV1.ApplyPlanRequest): Promise<fogV1.ApplyPlanResponse> {
    return this.onLeader((c, r, md, opts, cb) => c.applyPlan(r, md, opts, cb), req);
  }

  transferLeadership(toId: number): Promise<fogV1.TransferLeadershipResponse> {
    return this.onLeader((c, r, md, opts, cb) => c.transferLeadership(r, md, opts, cb), { toId });
  }

  /** The region as one member (default: any that answers) sees it. */
  async getRegion(region: string, endpoint?: string): Promise<fogV1.RegionState> {
    const tries = endpoint ? [endpoint] : this.endpoints;
    let last: unknown;
    for (const addr of tries) {
      try {
        const res = await new Promise<fogV1.GetRegionResponse>((resolve, reject) =>
          this.client(addr).getRegion(
            { region },
            new grpc.Metadata(),
            { deadline: Date.now() + 3000 },
            (e, r) => (e ? reject(e) : resolve(r)),
          ),
        );
        return res.region!;
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** Whole summaries, reassembled from their parts (same seq); a summary with a missing part is dropped. */
export class SummarySubscriber {
  readonly summaries: fogV1.RegionSummary[] = [];
  dropped = 0;
  private nc: NatsConnection | undefined;

  static async start(servers: string[], region: string): Promise<SummarySubscriber> {
    const s = new SummarySubscriber();
    s.nc = await connect({ servers, name: "kb-double-summaries" });
    const parts = new Map<string, fogV1.RegionSummary[]>();
    s.nc.subscribe(`qonnect.${region}.summary`, {
      callback: (err, msg) => {
        if (err) return;
        let p: fogV1.RegionSummary;
        try {
          p = fogV1.RegionSummary.decode(msg.data);
        } catch {
          s.dropped++;
          return;
        }
        const key = `${p.leaderId}/${p.term}/${p.seq}`;
        const got = [...(parts.get(key) ?? []), p];
        if (got.length < p.parts) {
          parts.set(key, got);
          if (parts.size > 16) parts.delete(parts.keys().next().value as string);
          return;
        }
        parts.delete(key);
        got.sort((a, b) => a.part - b.part);
        s.summaries.push({ ...got[0]!, part: 1, parts: 1, devices: got.flatMap((x) => x.devices) });
        if (s.summaries.length > 1000) s.summaries.shift();
      },
    });
    return s;
  }

  get latest(): fogV1.RegionSummary | undefined {
    return this.summaries[this.summaries.length - 1];
  }

  async close(): Promise<void> {
    await this.nc?.close();
  }
}
