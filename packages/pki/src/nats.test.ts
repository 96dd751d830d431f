import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { freePort, tempDir } from "@qonnect/testkit";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadBundle } from "./bundle.js";
import { enroll } from "./enroll.js";
import type { Identity } from "./identity.js";
import { natsConnectOptions } from "./nats-config.js";
import { pushAccountJwt } from "./nats-push.js";
import { Pki } from "./pki-store.js";
import { type SecureNatsServer, startSecureNatsServer } from "./test-support/secure-nats.js";

const te = new TextEncoder();

describe("NATS with the generated config (real nats-server 2.9, TLS, operator JWT)", () => {
  const tmp = tempDir("qonnect-pki-nats-");
  let pki: Pki;
  let server: SecureNatsServer;
  const open: NatsConnection[] = [];
  const dirs = new Map<string, string>();

  async function as(identity: Identity): Promise<NatsConnection> {
    const key = `${identity.region}/${identity.role}/${identity.id}`;
    let dir = dirs.get(key);
    if (!dir) {
      dir = join(tmp.path, key.replaceAll("/", "_"));
      await enroll(pki, identity, dir, { nowMs: Date.now() });
      dirs.set(key, dir);
    }
    const nc = await connect({
      ...natsConnectOptions(loadBundle(dir), [server.url]),
      maxReconnectAttempts: 0,
    });
    open.push(nc);
    return nc;
  }

  /** Subjects an observer (admin) sees, to prove what did and did not get through. */
  async function observer() {
    const seen: string[] = [];
    const nc = await as({ region: "cloud", role: "admin", id: "observer" });
    nc.subscribe(">", {
      callback: (_e, m) => !m.subject.startsWith("qonnect.events.") && seen.push(m.subject),
    });
    await nc.flush();
    return seen;
  }

  beforeAll(async () => {
    pki = await Pki.init(join(tmp.path, "pki"), { nowMs: Date.now() });
    server = await startSecureNatsServer(pki, join(tmp.path, "nats"), { port: await freePort() });
  });
  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => {});
    await server.stop();
    tmp.remove();
  });

  it("a device publishes only its own telemetry: another's subject and commands are refused", async () => {
    const seen = await observer();
    const dev = await as({ region: "eu", role: "device", id: "d1" });
    const errors: string[] = [];
    void (async () => {
      for await (const s of dev.status()) if (s.type === "error") errors.push(String(s.data));
    })();
    dev.publish("qonnect.eu.telemetry.d2", te.encode("forged"));
    dev.publish("qonnect.eu.cmd.d2", te.encode("forged"));
    dev.publish("qonnect.us.telemetry.d1", te.encode("forged"));
    dev.publish("qonnect.eu.telemetry.d1", te.encode("mine"));
    await vi.waitFor(() => expect(seen).toContain("qonnect.eu.telemetry.d1"), { timeout: 10_000 });
    expect(seen.filter((s) => s !== "qonnect.eu.telemetry.d1")).toEqual([]);
    await vi.waitFor(
      () => expect(errors.join("\n")).toMatch(/PERMISSIONS_VIOLATION|Permissions Violation for Publish/i),
      {
        timeout: 10_000,
      },
    );
  });

  it("a device cannot subscribe to another device's commands or another region", async () => {
    const dev = await as({ region: "eu", role: "device", id: "d3" });
    const errors: string[] = [];
    dev.subscribe("qonnect.eu.cmd.d4", { callback: (err) => err && errors.push(err.message) });
    const dev2 = await as({ region: "eu", role: "device", id: "d5" });
    dev2.subscribe("qonnect.us.>", { callback: (err) => err && errors.push(err.message) });
    await vi.waitFor(
      () => expect(errors.filter((e) => /Permissions Violation for Subscription/i.test(e))).toHaveLength(2),
      { timeout: 10_000 },
    );
  });

  it("only the region's fog lead commands a device, which answers once; another region's fog cannot", async () => {
    const dev = await as({ region: "eu", role: "device", id: "d6" });
    dev.subscribe("qonnect.eu.cmd.d6", { callback: (_e, m) => m.respond(te.encode("ack")) });
    await dev.flush();
    const fog = await as({ region: "eu", role: "fog", id: "f1" });
    const reply = await fog.request("qonnect.eu.cmd.d6", te.encode("cmd"), { timeout: 5000 });
    expect(new TextDecoder().decode(reply.data)).toBe("ack");
    const other = await as({ region: "us", role: "fog", id: "f9" });
    await expect(other.request("qonnect.eu.cmd.d6", te.encode("cmd"), { timeout: 2000 })).rejects.toThrow();
    const kb = await as({ region: "cloud", role: "kb", id: "kb" });
    await expect(kb.request("qonnect.eu.cmd.d6", te.encode("cmd"), { timeout: 2000 })).rejects.toThrow();
  });

  it("a fog lead receives its account's disconnect events (exported from the system account)", async () => {
    const fog = await as({ region: "eu", role: "fog", id: "f2" });
    const events: string[] = [];
    fog.subscribe("qonnect.events.disconnect.>", {
      callback: (_e, m) => events.push(new TextDecoder().decode(m.data)),
    });
    await fog.flush();
    const dev = await as({ region: "eu", role: "device", id: "d7" });
    await dev.close();
    await vi.waitFor(() => expect(events.join("")).toContain("eu/device/d7"), { timeout: 10_000 });
  });

  it("refuses plaintext, no credentials, and a client that does not pin the CA", async () => {
    // plain NATS protocol on the TLS port: the server hangs up instead of answering PING
    const answer = await new Promise<string>((resolve) => {
      const socket = netConnect(server.port, "127.0.0.1");
      let seen = "";
      socket.on("data", (d) => {
        seen += d.toString();
        if (seen.includes("\r\n") && !seen.includes("PONG")) socket.write("CONNECT {}\r\nPING\r\n");
        if (seen.includes("PONG")) socket.destroy();
      });
      socket.on("close", () => resolve(seen));
      socket.on("error", () => {});
    });
    expect(answer).toContain('"tls_required":true');
    expect(answer).not.toContain("PONG");
    const dir = join(tmp.path, "anon");
    await enroll(pki, { region: "eu", role: "device", id: "anon" }, dir, { nowMs: Date.now() });
    const b = loadBundle(dir);
    // TLS and a client certificate but no NATS credentials
    await expect(
      connect({
        servers: [server.url],
        maxReconnectAttempts: 0,
        tls: { ca: b.caPem, cert: b.certPem, key: b.keyPem },
      }),
    ).rejects.toThrow(/Authorization/i);
    // credentials but the system trust store instead of the deployment's CA: the server is not trusted
    await expect(
      connect({
        ...natsConnectOptions(b, [server.url]),
        maxReconnectAttempts: 0,
        tls: { cert: b.certPem, key: b.keyPem },
      }),
    ).rejects.toThrow();
  });

  it("revoke + push: the revoked device is cut off at once and cannot reconnect; others stay", async () => {
    const victim = await as({ region: "eu", role: "device", id: "stolen" });
    const bystander = await as({ region: "eu", role: "device", id: "honest" });
    const record = pki.issued().find((r) => r.id === "stolen");
    await pki.revoke((r) => r.serial === record?.serial, Date.now());
    const pushed = await pushAccountJwt(pki, [server.url], Date.now());
    expect(pushed).toEqual([{ server: server.url, ok: true, message: "jwt updated" }]);
    await vi.waitFor(() => expect(victim.isClosed()).toBe(true), { timeout: 15_000 });
    const dir = dirs.get("eu/device/stolen") ?? "";
    await expect(
      connect({ ...natsConnectOptions(loadBundle(dir), [server.url]), maxReconnectAttempts: 0 }),
    ).rejects.toThrow(/Authorization/i);
    expect(bystander.isClosed()).toBe(false);
    await bystander.flush();
  });

  it("a SIGHUP reload re-reads resolver.conf: a revoked user cannot connect after the reload", async () => {
    const dir = join(tmp.path, "late");
    await enroll(pki, { region: "eu", role: "device", id: "late" }, dir, { nowMs: Date.now() });
    const nc = await connect({
      ...natsConnectOptions(loadBundle(dir), [server.url]),
      maxReconnectAttempts: 0,
    });
    await nc.close();
    await pki.revoke((r) => r.id === "late", Date.now());
    await server.reload();
    await vi.waitFor(
      () =>
        expect(
          connect({ ...natsConnectOptions(loadBundle(dir), [server.url]), maxReconnectAttempts: 0 }).then(
            (c) => c.close(),
          ),
        ).rejects.toThrow(/Authorization/i),
      { timeout: 40_000, interval: 500 },
    );
  }, 60_000);
});
