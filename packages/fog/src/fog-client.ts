// The operator's FogLead client (`qonnect fog status|member|transfer`): reads from every endpoint it is given,
// sends changes to the leader, following the `qonnect-leader` hint of a follower.
import * as grpc from "@grpc/grpc-js";
import { fogV1 } from "@qonnect/proto";
import { LEADER_METADATA } from "./fog-service.js";

/** No fog lead answered (all down, or the wrong addresses). */
export class FogUnreachableError extends Error {
  override name = "FogUnreachableError";
}

export interface MemberView {
  endpoint: string;
  ok: boolean;
  error?: string;
  region?: fogV1.RegionState;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FogClient {
  private readonly clients = new Map<string, fogV1.FogLeadClient>();

  constructor(
    readonly endpoints: string[],
    private readonly credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    private readonly timeoutMs = 10_000,
  ) {}

  private client(addr: string): fogV1.FogLeadClient {
    let c = this.clients.get(addr);
    if (!c) {
      c = new fogV1.FogLeadClient(addr, this.credentials);
      this.clients.set(addr, c);
    }
    return c;
  }

  /** GetRegion from every endpoint (each member's own view). */
  status(region = ""): Promise<MemberView[]> {
    return Promise.all(
      this.endpoints.map(
        (endpoint) =>
          new Promise<MemberView>((resolve) =>
            this.client(endpoint).getRegion(
              { region },
              new grpc.Metadata(),
              { deadline: Date.now() + 3000 },
              (e, r) =>
                resolve(
                  e
                    ? { endpoint, ok: false, error: e.details || e.message }
                    : { endpoint, ok: true, region: r.region! },
                ),
            ),
          ),
      ),
    );
  }

  private async onLeader<Res>(
    call: (
      c: fogV1.FogLeadClient,
      opts: grpc.CallOptions,
      cb: (e: grpc.ServiceError | null, r: Res) => void,
    ) => void,
  ): Promise<Res> {
    const deadline = Date.now() + this.timeoutMs;
    let hint: string | undefined;
    let i = 0;
    let last = "";
    while (Date.now() < deadline) {
      const addr = hint ?? this.endpoints[i++ % this.endpoints.length]!;
      hint = undefined;
      try {
        return await new Promise<Res>((resolve, reject) =>
          call(this.client(addr), { deadline: Date.now() + 8000 }, (e, r) => (e ? reject(e) : resolve(r))),
        );
      } catch (err) {
        const e = err as grpc.ServiceError;
        last = `${addr}: ${e.details || e.message}`;
        if (e.code !== grpc.status.UNAVAILABLE) throw new Error(e.details || e.message);
        const h = e.metadata?.get(LEADER_METADATA)[0];
        if (typeof h === "string" && h !== addr) hint = h;
        else await sleep(200);
      }
    }
    throw new FogUnreachableError(`no fog leader answered within ${this.timeoutMs} ms (last: ${last})`);
  }

  transfer(toId: number): Promise<fogV1.TransferLeadershipResponse> {
    return this.onLeader((c, o, cb) => c.transferLeadership({ toId }, new grpc.Metadata(), o, cb));
  }

  addMember(req: fogV1.AddMemberRequest): Promise<fogV1.AddMemberResponse> {
    return this.onLeader((c, o, cb) => c.addMember(req, new grpc.Metadata(), o, cb));
  }

  removeMember(id: number): Promise<fogV1.RemoveMemberResponse> {
    return this.onLeader((c, o, cb) => c.removeMember({ id }, new grpc.Metadata(), o, cb));
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
