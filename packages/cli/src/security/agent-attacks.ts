// Attacks on a real agent process connected over TLS with its enrolment bundle.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import type { NatsConnection } from "nats";
import { type Attempt, attempt } from "./attempt.js";
import type { NatsTarget } from "./nats-attacks.js";

const REPO = resolve(import.meta.dirname, "../../../..");

interface Status {
  token: { term: number; planVersion: number };
  nats: { connected: boolean };
}

async function until<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function agentAttacks(t: NatsTarget): Promise<{ attempts: Attempt[]; stop(): Promise<void> }> {
  const device = "pi-sec";
  const bundleDir = await t.bundle("eu", "device", device);
  const config = join(t.dir, "agent.yaml");
  writeFileSync(
    config,
    JSON.stringify({
      device,
      region: "eu",
      site: "site-1",
      tier: "edge",
      sensors: "emulate",
      runtime: { kind: "process", workDir: t.dir, stopGraceMs: 1000 },
      dataDir: join(t.dir, "agent-data"),
      http: { port: 0 },
      log: { level: "info" },
      nats: { servers: [t.server.url], bundle: bundleDir },
    }),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(REPO, "packages/agent/src/main.ts"), "run", "--config", config],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const port = await until(
    async () => Number(/"httpPort":(\d+)/.exec(out)?.[1]) || undefined,
    "the agent",
  ).catch((err: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${err.message}; its output: ${out.slice(-500)}`);
  });
  const status = async () => (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as Status;
  await until(async () => ((await status()).nats.connected ? true : undefined), "the agent's TLS connection");
  const fog: NatsConnection = await t.connectAs(await t.bundle("eu", "fog", "fog-1"));
  const send = async (cmd: Partial<telemetryV1.DeviceCommand>) => {
    const r = await fog.request(
      `qonnect.eu.cmd.${device}`,
      telemetryV1.DeviceCommand.encode(telemetryV1.DeviceCommand.fromPartial({ device, ...cmd })).finish(),
      { timeout: 10_000 },
    );
    return telemetryV1.CommandAck.decode(r.data);
  };
  const alive = () => child.exitCode === null && child.signalCode === null;
  const wl = (service: string, command: string[], env: Record<string, string> = {}) =>
    telemetryV1.WorkloadSpec.fromPartial({ app: "sec", service, replica: 1, command, env });
  const attempts: Attempt[] = [];
  const real = await send({ token: { term: 2, planVersion: 1 }, workloads: [wl("ok", ["sleep", "60"])] });
  attempts.push(
    await attempt("agent", "forged command with term 2^53-1 (would lock the device out)", async () => {
      const ack = await send({ token: { term: 2 ** 53 - 1, planVersion: 1 }, workloads: [] });
      const s = await status();
      return {
        refused: real.accepted && !ack.accepted && s.token.term === 2,
        crashed: !alive(),
        dataLost: s.token.term !== 2,
        detail: `${ack.error}; held token term ${s.token.term}`,
      };
    }),
    await attempt("agent", "replayed command with an older token", async () => {
      const ack = await send({ token: { term: 1, planVersion: 9 }, workloads: [] });
      return { refused: !ack.accepted, crashed: !alive(), detail: ack.error };
    }),
    await attempt("agent", "NUL in a workload's command and environment (refused alone)", async () => {
      const ack = await send({
        token: { term: 2, planVersion: 2 },
        workloads: [
          wl("ok", ["sleep", "60"]),
          wl("nul", ["sh", "-c", "a\0b"]),
          wl("nul-env", ["sleep", "1"], { X: "a\0" }),
        ],
      });
      const ok = ack.workloads.find((w) => w.service === "ok");
      const bad = ack.workloads.filter((w) => w.state === telemetryV1.WorkloadState.WORKLOAD_STATE_FAILED);
      return {
        refused:
          ack.accepted &&
          bad.length === 2 &&
          ok !== undefined &&
          ok.state !== telemetryV1.WorkloadState.WORKLOAD_STATE_FAILED,
        crashed: !alive(),
        detail: ack.error,
      };
    }),
    await attempt("agent", "65 workloads (above the per-device cap)", async () => {
      const ack = await send({
        token: { term: 2, planVersion: 3 },
        workloads: Array.from({ length: 65 }, (_, i) => wl(`w${i}`, ["sleep", "1"])),
      });
      return { refused: !ack.accepted, crashed: !alive(), detail: ack.error };
    }),
    await attempt("agent", "garbage bytes on the command subject", async () => {
      const r = await fog.request(
        `qonnect.eu.cmd.${device}`,
        new Uint8Array([0xff, 0xff, 0x0f, 0x00, 0x12]),
        {
          timeout: 10_000,
        },
      );
      const ack = telemetryV1.CommandAck.decode(r.data);
      return { refused: !ack.accepted, crashed: !alive(), detail: ack.error };
    }),
  );
  return {
    attempts,
    async stop() {
      await fog.close();
      if (alive()) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
