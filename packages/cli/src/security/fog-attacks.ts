// Attacks on real fog lead processes (a region group of two, each started from its `qonnect enroll fog`
// bundle: mutual TLS on the Raft/FogLead port, NATS JWT creds + TLS) and a real `qonnect kb serve --bundle`
// process (TLS control API with tokens): plaintext to every port, Raft traffic from certificates of a
// non-member and of another region, a device calling FogLead's admin methods, an admin applying a plan, too
// weak control API tokens, and a revoked fog certificate. Afterwards both leads and the kb must still run and
// the plan applied before the attacks must still be there.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { fogClientCredentials } from "@qonnect/fog";
import { freePort } from "@qonnect/natsd";
import { loadBundle } from "@qonnect/pki";
import { fogV1, raftV1 } from "@qonnect/proto";
import { clusterName, messageToProto } from "@qonnect/raft";
import { type Attempt, attempt } from "./attempt.js";
import type { NatsTarget } from "./nats-attacks.js";

const REPO = resolve(import.meta.dirname, "../../../..");
const REGION = "fr";

interface Proc {
  child: ChildProcess;
  out: string;
  alive(): boolean;
  stop(): Promise<void>;
}

function start(label: string, args: string[]): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const p: Proc = {
    child,
    out: "",
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (!p.alive()) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
  child.stdout?.on("data", (d: Buffer) => (p.out = (p.out + d.toString()).slice(-4000)));
  child.stderr?.on("data", (d: Buffer) => (p.out = (p.out + d.toString()).slice(-4000)));
  child.once("error", (e) => (p.out += `${label}: ${e.message}`));
  return p;
}

async function until<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type Unary = "getRegion" | "applyPlan" | "addMember" | "removeMember" | "transferLeadership";

function call<Res>(address: string, creds: grpc.ChannelCredentials, method: Unary, req: unknown) {
  const c = new fogV1.FogLeadClient(address, creds);
  return new Promise<{ code: number; details: string; res?: Res }>((done) => {
    const fn = (c as unknown as Record<string, (...a: unknown[]) => void>)[method]!;
    fn.call(
      c,
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (e: grpc.ServiceError | null, r: Res) => {
        c.close();
        done(e ? { code: e.code, details: e.details } : { code: grpc.status.OK, details: "ok", res: r });
      },
    );
  });
}

async function rawRaft(address: string, creds: grpc.ChannelCredentials, batch: raftV1.SendRequest) {
  const client = new raftV1.RaftTransportServiceClient(address, creds);
  try {
    return await new Promise<{ err: grpc.ServiceError | null; received: number }>((done) => {
      const s = client.send((err, res) => done({ err, received: res?.receivedMessages ?? 0 }));
      s.write(batch);
      s.end();
    });
  } finally {
    client.close();
  }
}

const refusedCode = (code: number) =>
  code === grpc.status.UNAVAILABLE ||
  code === grpc.status.UNAUTHENTICATED ||
  code === grpc.status.PERMISSION_DENIED;

export async function fogAttacks(t: NatsTarget): Promise<{ attempts: Attempt[]; stop(): Promise<void> }> {
  const peers: Record<string, string> = {};
  for (const id of [1, 2]) peers[String(id)] = `127.0.0.1:${await freePort()}`;
  const procs: Proc[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) await p.stop();
  };
  try {
    for (const id of [1, 2]) {
      const config = join(t.dir, `fog-${id}.yaml`);
      writeFileSync(
        config,
        JSON.stringify({
          region: REGION,
          member: id,
          listen: peers[String(id)],
          peers,
          dataDir: join(t.dir, `fog-${id}-data`),
          nats: { servers: [t.server.url] },
          bundle: await t.bundle(REGION, "fog", `fog-${id}`),
          crlFile: t.pki.files.crl,
          http: `127.0.0.1:${await freePort()}`,
          raft: { heartbeatMs: 50, electionMs: 500 },
          log: { level: "warn" },
        }),
      );
      procs.push(start(`fog ${id}`, [join(REPO, "packages/fog/src/main.ts"), "run", "--config", config]));
    }
    const kbBundle = await t.bundle("cloud", "kb", "kb");
    const kbData = join(t.dir, "kb-data");
    const tokenOf = async (role: string) => {
      const { createToken, openStore } = await import("@qonnect/kb");
      const store = await openStore("sqlite", kbData);
      try {
        return (await createToken(store, role as "viewer", { nowMs: Date.now() })).token;
      } finally {
        await store.close();
      }
    };
    const viewer = await tokenOf("viewer");
    const operator = await tokenOf("operator");
    const kbGrpc = `127.0.0.1:${await freePort()}`;
    const kbHttp = `127.0.0.1:${await freePort()}`;
    const kbProc = start("kb", [
      join(REPO, "packages/cli/src/main.ts"),
      "kb",
      "serve",
      "--data",
      kbData,
      "--grpc",
      kbGrpc,
      "--http",
      kbHttp,
      "--bundle",
      kbBundle,
    ]);
    procs.push(kbProc);

    const kbCreds = fogClientCredentials(loadBundle(kbBundle), REGION);
    const leaderId = await until(async () => {
      const r = await call<fogV1.GetRegionResponse>(peers["1"]!, kbCreds, "getRegion", { region: REGION });
      return r.res?.region?.leaderId || undefined;
    }, "the fog leads' leader (over mutual TLS)");
    const leader = peers[String(leaderId)]!;
    const plan = fogV1.ApplyPlanRequest.fromPartial({ region: REGION, planId: "before", basePlanVersion: 0 });
    const applied = await call<fogV1.ApplyPlanResponse>(leader, kbCreds, "applyPlan", plan);
    const planVersion = applied.res?.planVersion ?? 0;
    if (!planVersion) throw new Error(`the kb certificate could not apply a plan: ${applied.details}`);
    const { KbClient } = await import("@qonnect/kb");
    await until(async () => {
      const c = new KbClient({
        server: kbGrpc,
        caFile: t.pki.files.caCert,
        token: operator,
        timeoutMs: 3000,
      });
      try {
        return (await c.list({ collection: "applications" })) ? true : undefined;
      } finally {
        c.close();
      }
    }, "kb serve --bundle");
    const termOf = async () =>
      (await call<fogV1.GetRegionResponse>(leader, kbCreds, "getRegion", { region: REGION })).res?.region
        ?.term ?? 0;
    const before = await termOf();
    const hb = (from: number, to: number) =>
      messageToProto({ type: "heartbeat", from, to, term: before + 1000, commit: 0 });
    const cluster = clusterName(new Map(Object.entries(peers).map(([id, a]) => [Number(id), a])));
    const insecure = grpc.credentials.createInsecure();
    const creds = async (region: string, role: "device" | "fog" | "admin", id: string) =>
      fogClientCredentials(loadBundle(await t.bundle(region, role, id)));
    const follower = peers[String(leaderId === 1 ? 2 : 1)]!;

    const attempts: Attempt[] = [
      await attempt("fog", "plaintext FogLead call to a fog lead's TLS port", async () => {
        const r = await call(leader, insecure, "getRegion", { region: REGION });
        return { refused: r.code === grpc.status.UNAVAILABLE, detail: r.details };
      }),
      await attempt("fog", "plaintext Raft batch to a fog lead's TLS port", async () => {
        const r = await rawRaft(follower, insecure, { cluster, from: leaderId, messages: [hb(leaderId, 0)] });
        return { refused: r.received === 0 && r.err !== null, detail: r.err?.details ?? "accepted" };
      }),
      await attempt(
        "fog",
        "Raft heartbeat from a non-member fog certificate claiming the leader's id",
        async () => {
          const to = leaderId === 1 ? 2 : 1;
          const r = await rawRaft(follower, await creds(REGION, "fog", "fog-3"), {
            cluster,
            from: leaderId,
            messages: [hb(leaderId, to)],
          });
          return {
            refused: r.received === 0 && (await termOf()) < before + 1000,
            detail: r.err?.details ?? `delivered ${r.received}`,
          };
        },
      ),
      await attempt(
        "fog",
        "Raft heartbeat from another region's fog-1 certificate claiming member 1",
        async () => {
          const r = await rawRaft(peers["2"]!, await creds("de", "fog", "fog-1"), {
            cluster,
            from: 1,
            messages: [hb(1, 2)],
          });
          return {
            refused: r.received === 0 && (await termOf()) < before + 1000,
            detail: r.err?.details ?? `delivered ${r.received}`,
          };
        },
      ),
      await attempt("fog", "device certificate calls FogLead AddMember", async () => {
        const req = fogV1.AddMemberRequest.fromPartial({
          id: 7,
          raftAddress: "127.0.0.1:1",
          fogAddress: "127.0.0.1:1",
        });
        const r = await call(leader, await creds(REGION, "device", "pi-fr"), "addMember", req);
        return { refused: r.code === grpc.status.PERMISSION_DENIED, detail: r.details };
      }),
      await attempt("fog", "device certificate calls FogLead TransferLeadership", async () => {
        const r = await call(leader, await creds(REGION, "device", "pi-fr"), "transferLeadership", {
          toId: 2,
        });
        return { refused: r.code === grpc.status.PERMISSION_DENIED, detail: r.details };
      }),
      await attempt("fog", "another region's fog lead calls RemoveMember", async () => {
        const r = await call(leader, await creds("de", "fog", "fog-1"), "removeMember", { id: 2 });
        return { refused: r.code === grpc.status.PERMISSION_DENIED, detail: r.details };
      }),
      await attempt("fog", "admin certificate calls ApplyPlan (only the kb may)", async () => {
        const p = fogV1.ApplyPlanRequest.fromPartial({
          region: REGION,
          planId: "by-admin",
          basePlanVersion: planVersion,
        });
        const r = await call(leader, await creds("cloud", "admin", "ops"), "applyPlan", p);
        return { refused: r.code === grpc.status.PERMISSION_DENIED, detail: r.details };
      }),
      await attempt("fog", "revoked fog certificate calls GetRegion and sends Raft", async () => {
        const dir = await t.bundle(REGION, "fog", "fog-9");
        const revokedCreds = fogClientCredentials(loadBundle(dir));
        await t.pki.revoke((r) => r.region === REGION && r.id === "fog-9", Date.now());
        // the leads re-read the CRL within a second or two; a fresh connection must then be refused
        let last = { code: grpc.status.OK, details: "" };
        for (let i = 0; i < 40; i++) {
          await new Promise((r) => setTimeout(r, 250));
          last = await call(leader, revokedCreds, "getRegion", { region: REGION });
          if (last.code !== grpc.status.OK) break;
        }
        const raft = await rawRaft(follower, revokedCreds, { cluster, from: 9, messages: [hb(9, 1)] });
        return {
          refused: refusedCode(last.code) && raft.received === 0,
          detail: `${last.details}; raft: ${raft.err?.details ?? `delivered ${raft.received}`}`,
        };
      }),
      await attempt("kb", "plaintext call to the control API's TLS port", async () => {
        const c = new KbClient({ server: kbGrpc, insecure: true, token: operator, timeoutMs: 3000 });
        try {
          await c.list({ collection: "applications" });
          return { refused: false, detail: "accepted" };
        } catch (err) {
          return { refused: true, detail: (err as Error).message.split("\n")[0] ?? "" };
        } finally {
          c.close();
        }
      }),
      await attempt("kb", "plaintext HTTP to the REST API's TLS port", async () => {
        const r = await fetch(`http://${kbHttp}/api/v1/applications`, {
          headers: { authorization: `Bearer ${operator}` },
          signal: AbortSignal.timeout(3000),
        }).then(
          (res) => ({ ok: res.ok, detail: `HTTP ${res.status}` }),
          (e: Error) => ({ ok: false, detail: e.message }),
        );
        return { refused: !r.ok, detail: r.detail };
      }),
      await attempt("kb", "viewer token applies an application (too weak a role)", async () => {
        const c = new KbClient({
          server: kbGrpc,
          caFile: t.pki.files.caCert,
          token: viewer,
          timeoutMs: 5000,
        });
        try {
          await c.apply(
            "apiVersion: qonnect.io/v1alpha1\nkind: Application\nmetadata: { name: sneaky }\nspec:\n  services:\n    - { name: web, replicas: 1, resources: { cpu: 100m, memory: 64Mi } }\n",
          );
          return { refused: false, detail: "applied" };
        } catch (err) {
          const e = err as Error & { codeName?: string };
          return {
            refused: e.codeName === "PERMISSION_DENIED",
            detail: `${e.codeName}: ${e.message.split("\n")[0]}`,
          };
        } finally {
          c.close();
        }
      }),
      await attempt("kb", "operator token mints an admin token (too weak a role)", async () => {
        const c = new KbClient({
          server: kbGrpc,
          caFile: t.pki.files.caCert,
          token: operator,
          timeoutMs: 5000,
        });
        try {
          await c.createToken("admin", "escalation");
          return { refused: false, detail: "minted" };
        } catch (err) {
          const e = err as Error & { codeName?: string };
          return {
            refused: e.codeName === "PERMISSION_DENIED",
            detail: `${e.codeName}: ${e.message.split("\n")[0]}`,
          };
        } finally {
          c.close();
        }
      }),
    ];
    const after = await call<fogV1.GetRegionResponse>(leader, kbCreds, "getRegion", { region: REGION }).catch(
      () => undefined,
    );
    const up = procs.every((p) => p.alive());
    const kept = (after?.res?.region?.planVersion ?? 0) >= planVersion;
    attempts.push({
      area: "fog",
      name: "fog leads and kb still run, the plan applied before the attacks is still there",
      refused: up && kept,
      crashed: !up,
      dataLost: !kept,
      detail: `processes ${up ? "up" : "DOWN"}, plan version ${after?.res?.region?.planVersion ?? "?"} (was ${planVersion})`,
    });
    return { attempts, stop };
  } catch (err) {
    const tails = procs.map((p) => p.out.slice(-600)).join("\n---\n");
    await stop();
    throw new Error(`${(err as Error).message}\n${tails}`);
  }
}
