// Disconnect advisories from a real nats-server with a system account that exports them into the application
// account (as @qonnect/pki's JWT accounts do, here written as a plain configuration file with users), a real
// fog lead (one member, in this process) and devices as real NATS clients publishing real DeviceTelemetry.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import { freePort, tempDir } from "@qonnect/testkit";
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseFogConfig } from "./config.js";
import { deviceDisconnect } from "./disconnect-event.js";
import { type FogLead, startFogLead } from "./fog-lead.js";

const dir = tempDir("qonnect-fog-disconnect-");
const SITES = { a1: "s1", a2: "s1", a3: "s1", b1: "s2", b2: "s2" };
let server: ChildProcess;
let url: string;
let lead: FogLead;
const devices = new Map<string, { nc: NatsConnection; timer: NodeJS.Timeout }>();
/** Every verdict change seen on the lead, in order. */
const history: { device: string; verdict: string; reason: string }[] = [];
let watcher: NodeJS.Timeout;

async function startDevice(name: string): Promise<void> {
  const nc = await connect({ servers: [url], user: "device", pass: "device", name: `qonnect-agent-${name}` });
  const site = SITES[name as keyof typeof SITES];
  nc.publish(
    `qonnect.r1.register.${name}`,
    telemetryV1.DeviceRegistration.encode(
      telemetryV1.DeviceRegistration.create({ device: name, region: "r1", site, tier: "edge", cpuCores: 4 }),
    ).finish(),
  );
  let seq = 0;
  const send = () =>
    nc.publish(
      `qonnect.r1.telemetry.${name}`,
      telemetryV1.DeviceTelemetry.encode(
        telemetryV1.DeviceTelemetry.create({
          device: name,
          region: "r1",
          seq: ++seq,
          tsMs: Date.now(),
          powerW: 3,
        }),
      ).finish(),
    );
  send();
  devices.set(name, { nc, timer: setInterval(send, 1000) });
}

async function dropDevice(name: string): Promise<void> {
  const d = devices.get(name)!;
  clearInterval(d.timer);
  await d.nc.close();
  devices.delete(name);
}

beforeAll(async () => {
  const port = await freePort();
  const conf = join(dir.path, "nats.conf");
  writeFileSync(
    conf,
    `listen: 127.0.0.1:${port}
accounts {
  SYS: { users: [{ user: sys, password: sys }], exports: [{ stream: "$SYS.ACCOUNT.QONNECT.DISCONNECT" }] }
  QONNECT: {
    users: [{ user: fog, password: fog }, { user: device, password: device }]
    imports: [{ stream: { account: SYS, subject: "$SYS.ACCOUNT.QONNECT.DISCONNECT" }, prefix: "qonnect.events.disconnect" }]
  }
}
system_account: SYS
`,
  );
  server = spawn("/usr/sbin/nats-server", ["-c", conf, "-l", join(dir.path, "nats.log")], {
    stdio: "ignore",
  });
  url = `nats://127.0.0.1:${port}`;
  await vi.waitFor(
    async () => (await connect({ servers: [url], user: "fog", pass: "fog", timeout: 500 })).close(),
    { timeout: 15_000, interval: 100 },
  );
  const listen = `127.0.0.1:${await freePort()}`;
  const text = [
    "region: r1",
    "member: 1",
    `listen: ${listen}`,
    `peers: { "1": ${listen} }`,
    `dataDir: ${join(dir.path, "fog1")}`,
    `nats: { servers: ["${url}"], user: fog, password: fog }`,
    "insecure: true",
    `http: 127.0.0.1:${await freePort()}`,
    "raft: { heartbeatMs: 50, electionMs: 300 }",
  ].join("\n");
  lead = await startFogLead(parseFogConfig(text, join(dir.path, "fog.yaml")), pino({ level: "silent" }));
  const last = new Map<string, string>();
  watcher = setInterval(() => {
    for (const d of lead.sm.devices.values())
      if (last.get(d.name) !== d.verdict) {
        last.set(d.name, d.verdict);
        history.push({ device: d.name, verdict: d.verdict, reason: d.verdictReason });
      }
  }, 10);
  for (const name of Object.keys(SITES)) await startDevice(name);
  await vi.waitFor(
    () => expect([...lead.sm.devices.values()].filter((d) => d.verdict === "alive")).toHaveLength(5),
    { timeout: 30_000, interval: 100 },
  );
}, 60_000);

afterAll(async () => {
  clearInterval(watcher);
  for (const name of [...devices.keys()]) await dropDevice(name);
  await lead?.stop();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  dir.remove();
}, 30_000);

const of = (device: string) => history.filter((h) => h.device === device).map((h) => h.verdict);

describe("disconnect events (real nats-server with a system account)", () => {
  it("a device whose connection closes is suspect at once on that evidence, then dead while its site reports", async () => {
    await dropDevice("a1");
    await vi.waitFor(() => expect(lead.sm.devices.get("a1")?.verdict).toBe("dead"), {
      timeout: 15_000,
      interval: 50,
    });
    expect(of("a1").slice(-2)).toEqual(["suspect", "dead"]);
    const suspect = history.filter((h) => h.device === "a1" && h.verdict === "suspect").at(-1)!;
    expect(suspect.reason).toMatch(/its connection closed \(Client Closed\)/);
    expect(lead.sm.devices.get("a1")?.verdictReason).toMatch(/while site s1 still reports \(crash\)/);
    await startDevice("a1");
    await vi.waitFor(() => expect(lead.sm.devices.get("a1")?.verdict).toBe("alive"), {
      timeout: 15_000,
      interval: 50,
    });
  });

  it("a whole site disconnecting at once is unreachable (a cut), never dead", async () => {
    await Promise.all([dropDevice("b1"), dropDevice("b2")]);
    await vi.waitFor(
      () => {
        expect(lead.sm.devices.get("b1")?.verdict).toBe("unreachable");
        expect(lead.sm.devices.get("b2")?.verdict).toBe("unreachable");
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(of("b1")).not.toContain("dead");
    expect(of("b2")).not.toContain("dead");
    expect(history.some((h) => h.device === "b1" && /its connection closed/.test(h.reason))).toBe(true);
  });

  it("reads the device from a JWT user's name (spiffe URI, this region only) or an agent's connection name", () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    const type = "io.nats.server.advisory.v1.client_disconnect";
    expect(
      deviceDisconnect(
        enc({ type, reason: "Stale Connection", client: { name_tag: "spiffe://qonnect/r1/device/d7" } }),
        "r1",
      ),
    ).toEqual({ device: "d7", why: "Stale Connection" });
    expect(deviceDisconnect(enc({ type, client: { name_tag: "spiffe://qonnect/r2/device/d7" } }), "r1")).toBe(
      undefined,
    );
    expect(deviceDisconnect(enc({ type, client: { name_tag: "spiffe://qonnect/r1/fog/f1" } }), "r1")).toBe(
      undefined,
    );
    expect(deviceDisconnect(enc({ type, client: { name: "qonnect-agent-x" } }), "r1")?.device).toBe("x");
    expect(deviceDisconnect(enc({ type: "other", client: { name: "qonnect-agent-x" } }), "r1")).toBe(
      undefined,
    );
    expect(deviceDisconnect(new TextEncoder().encode("not json"), "r1")).toBe(undefined);
  });
});
