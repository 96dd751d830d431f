// `qonnect pki nats-deployment` writes files an operator installs; here they run for real: three cloud
// nats-servers and one region's leafnode server started from the generated nats.conf files unchanged, and a
// device enrolled with `qonnect enroll` reaches the Knowledge Base on the cloud across the leafnode link.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { loadBundle, natsConnectOptions } from "@qonnect/pki";
import { tempDir } from "@qonnect/testkit";
import { connect, type NatsConnection } from "nats";
import { afterAll, describe, expect, it, vi } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const tmp = tempDir("qonnect-cli-natsdep-");
const procs: ChildProcess[] = [];
const open: NatsConnection[] = [];

const free = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });

/** A client port whose cluster, leafnode and monitoring ports (+2000, +3200, +4000) are free too. */
async function basePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * 20_000);
    const all = [p, p + 2000, p + 3200, p + 4000];
    if (all.some((x) => taken.has(x))) continue;
    if ((await Promise.all(all.map(free))).every(Boolean)) {
      for (const x of all) taken.add(x);
      return p;
    }
  }
}

afterAll(async () => {
  for (const nc of open) await nc.close().catch(() => {});
  for (const p of procs) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await exited;
  }
  tmp.remove();
});

describe("qonnect pki nats-deployment", () => {
  it("writes configs that real nats-servers run as they are; a device's telemetry crosses to the cloud", async () => {
    const io = bufferIo(tmp.path);
    expect(await run(["pki", "init"], io)).toBe(0);
    const taken = new Set<number>();
    const cloud = [await basePort(taken), await basePort(taken), await basePort(taken)];
    const leaf = await basePort(taken);
    const out = bufferIo(tmp.path);
    const argv = ["pki", "nats-deployment", "--out", "nats", "--region", `eu=127.0.0.1:${leaf}`, "--json"];
    for (const p of cloud) argv.push("--cloud", `127.0.0.1:${p}`);
    expect(await run(argv, out), out.stderr).toBe(0);
    const { servers } = JSON.parse(out.stdout) as {
      servers: { name: string; config: string; url: string }[];
    };
    expect(servers.map((s) => s.name)).toEqual(["cloud-1", "cloud-2", "cloud-3", "leaf-eu"]);
    const conf = readFileSync(servers[3]!.config, "utf8");
    expect(conf).not.toMatch(/^[^#]*\$QONNECT_/m);
    // the link user is the leafnode server's own identity, in issued.json
    const issued = JSON.parse(readFileSync(join(tmp.path, "pki", "issued.json"), "utf8")) as { id: string }[];
    expect(issued.map((r) => r.id)).toEqual(expect.arrayContaining(["cloud-1", "leaf-eu"]));

    const bin = "nats-server";
    for (const s of servers) {
      const child = spawn(bin, ["-c", s.config], { stdio: ["ignore", "ignore", "pipe"] });
      child.once("error", () => {}); // surfaces as servers that never answer, below
      procs.push(child);
    }
    const enrol = async (role: string, name: string, region: string, url: string) => {
      const e = bufferIo(tmp.path);
      const args = ["enroll", role, name, "--region", region, "--nats", url, "--json"];
      expect(await run(role === "kb" ? ["enroll", "kb", "--nats", url, "--json"] : args, e), e.stderr).toBe(
        0,
      );
      return JSON.parse(e.stdout).bundle as string;
    };
    const kbBundle = await enrol("kb", "kb", "cloud", servers[0]!.url);
    const deviceBundle = await enrol("device", "pi-1", "eu", servers[3]!.url);
    const seen: string[] = [];
    await vi.waitFor(
      async () => {
        const kb = await connect({ ...natsConnectOptions(loadBundle(kbBundle)), maxReconnectAttempts: 0 });
        open.push(kb);
        kb.subscribe("qonnect.*.telemetry.*", { callback: (e, m) => e || seen.push(m.subject) });
        await kb.flush();
      },
      { timeout: 60_000, interval: 500 },
    );
    const device = await vi.waitFor(
      () => connect({ ...natsConnectOptions(loadBundle(deviceBundle)), maxReconnectAttempts: 0 }),
      { timeout: 60_000, interval: 500 },
    );
    open.push(device);
    await vi.waitFor(
      async () => {
        device.publish("qonnect.eu.telemetry.pi-1", new Uint8Array([1]));
        await device.flush();
        expect(seen).toContain("qonnect.eu.telemetry.pi-1");
      },
      { timeout: 60_000, interval: 500 },
    );
  }, 120_000);
});
