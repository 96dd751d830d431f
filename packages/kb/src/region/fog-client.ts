// Sends a region its plan: to the leader, following the `qonnect-leader` hint of a follower, trying every
// known member when the last leader is gone. FAILED_PRECONDITION (the region re-planned locally) comes
// back as RegionMovedOnError with the region's state, read with GetRegion, so the caller re-plans from it.
import * as grpc from "@grpc/grpc-js";
import { fogV1 } from "@qonnect/proto";

export class RegionMovedOnError extends Error {
  override name = "RegionMovedOnError";
  constructor(
    readonly region: string,
    readonly state: fogV1.RegionState | undefined,
    readonly planVersion: number,
  ) {
    super(`region ${region} re-planned locally (now at plan version ${planVersion})`);
  }
}

export class RegionUnreachableError extends Error {
  override name = "RegionUnreachableError";
  constructor(
    readonly region: string,
    readonly tried: string[],
    readonly lastError: string,
  ) {
    super(`region ${region} is unreachable (tried ${tried.join(", ") || "no addresses"}: ${lastError})`);
  }
}

export interface FogClientOptions {
  /**
   * Fixed credentials, or ones that follow a rotated bundle (`RotatingClientCredentials` of @qonnect/pki):
   * after a rotation new calls go over new channels and the old ones are closed once their calls are done.
   */
  credentials?:
    | grpc.ChannelCredentials
    | {
        readonly current: grpc.ChannelCredentials;
        subscribe(listener: (c: grpc.ChannelCredentials) => void): () => void;
      };
  /** Per call, ms. Default 5 s. */
  timeoutMs?: number;
}

export class FogClient {
  #clients = new Map<string, fogV1.FogLeadClient>();
  #leader = new Map<string, string>();

  #unsubscribe: (() => void) | undefined;
  #retiring = new Map<NodeJS.Timeout, fogV1.FogLeadClient[]>();

  constructor(readonly o: FogClientOptions = {}) {
    const c = o.credentials;
    if (c && "subscribe" in c) this.#unsubscribe = c.subscribe(() => this.#retire());
  }

  #credentials(): grpc.ChannelCredentials {
    const c = this.o.credentials;
    if (!c) return grpc.credentials.createInsecure();
    return "subscribe" in c ? c.current : c;
  }

  /** New credentials: later calls open new channels; the old ones close when their calls' deadlines passed. */
  #retire(): void {
    const old = [...this.#clients.values()];
    this.#clients.clear();
    const t = setTimeout(
      () => {
        this.#retiring.delete(t);
        for (const c of old) c.close();
      },
      (this.o.timeoutMs ?? 5000) + 1000,
    );
    t.unref();
    this.#retiring.set(t, old);
  }

  #client(address: string): fogV1.FogLeadClient {
    let c = this.#clients.get(address);
    if (!c) {
      c = new fogV1.FogLeadClient(address, this.#credentials());
      this.#clients.set(address, c);
    }
    return c;
  }

  #call<Req, Res>(address: string, method: "applyPlan" | "getRegion", req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      const c = this.#client(address) as unknown as Record<
        string,
        (
          r: Req,
          m: grpc.Metadata,
          o: grpc.CallOptions,
          cb: (e: grpc.ServiceError | null, r: Res) => void,
        ) => void
      >;
      c[method]!.call(
        this.#client(address),
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + (this.o.timeoutMs ?? 5000) },
        (e, r) => (e ? reject(e) : resolve(r)),
      );
    });
  }

  /** Tries the remembered leader, then every member, following leader hints (at most 8 hops). */
  async #onLeader<Res>(
    region: string,
    members: readonly string[],
    fn: (address: string) => Promise<Res>,
  ): Promise<Res> {
    const queue = [...new Set([this.#leader.get(region), ...members].filter((a): a is string => Boolean(a)))];
    const tried: string[] = [];
    let last = "no members";
    for (let hops = 0; queue.length && hops < 8 + members.length; hops++) {
      const address = queue.shift()!;
      tried.push(address);
      try {
        const out = await fn(address);
        this.#leader.set(region, address);
        return out;
      } catch (err) {
        const e = err as grpc.ServiceError;
        if (e.code === grpc.status.UNAVAILABLE) {
          const hint = e.metadata?.get("qonnect-leader")[0];
          if (typeof hint === "string" && hint && !tried.includes(hint)) queue.unshift(hint);
          last = e.details || e.message;
          continue;
        }
        if (e.code === grpc.status.DEADLINE_EXCEEDED) {
          last = "deadline exceeded";
          continue;
        }
        throw err;
      }
    }
    this.#leader.delete(region);
    throw new RegionUnreachableError(region, tried, last);
  }

  async getRegion(region: string, members: readonly string[]): Promise<fogV1.RegionState | undefined> {
    const r = await this.#onLeader(region, members, (a) =>
      this.#call<fogV1.GetRegionRequest, fogV1.GetRegionResponse>(a, "getRegion", { region }),
    );
    return r.region;
  }

  async applyPlan(members: readonly string[], req: fogV1.ApplyPlanRequest): Promise<fogV1.ApplyPlanResponse> {
    try {
      return await this.#onLeader(req.region, members, (a) =>
        this.#call<fogV1.ApplyPlanRequest, fogV1.ApplyPlanResponse>(a, "applyPlan", req),
      );
    } catch (err) {
      const e = err as grpc.ServiceError;
      if (e.code !== grpc.status.FAILED_PRECONDITION) throw err;
      const version = Number(e.metadata?.get("qonnect-plan-version")[0] ?? 0);
      const state = await this.getRegion(req.region, members).catch(() => undefined);
      throw new RegionMovedOnError(req.region, state, state ? Number(state.planVersion) : version);
    }
  }

  close(): void {
    this.#unsubscribe?.();
    for (const [t, old] of this.#retiring) {
      clearTimeout(t);
      for (const c of old) c.close();
    }
    this.#retiring.clear();
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
