// Attacks on NATS: a real nats-server with the generated configuration (TLS, operator JWT, MEMORY resolver).
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import {
  loadBundle,
  natsConnectOptions,
  Pki,
  pushAccountJwt,
  type SecureNatsServer,
  userCreds,
} from "@qonnect/pki";
import { connect, credsAuthenticator, type NatsConnection } from "nats";
import { type Attempt, attempt, rejects } from "./attempt.js";

const te = new TextEncoder();

export interface NatsTarget {
  pki: Pki;
  server: SecureNatsServer;
  dir: string;
  bundle(region: string, role: "device" | "fog" | "kb" | "admin", id: string): Promise<string>;
  connectAs(bundleDir: string): Promise<NatsConnection>;
}

/** Speaks the NATS protocol in plain text to a TLS port: refused when the server errors out or hangs up. */
export function plaintextRefused(port: number): Promise<{ refused: boolean; detail: string }> {
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1");
    let seen = "";
    const done = (refused: boolean, detail: string) => {
      socket.destroy();
      resolve({ refused, detail });
    };
    socket.on("data", (d) => {
      seen += d.toString();
      if (seen.startsWith("INFO ") && seen.includes("\r\n") && !seen.includes("sent")) {
        seen += "sent";
        socket.write('CONNECT {"verbose":false}\r\nPUB qonnect.eu.cmd.x 1\r\nx\r\nPING\r\n');
      }
      if (seen.includes("PONG")) done(false, "the server answered a plaintext PING");
      if (seen.includes("-ERR")) done(true, seen.slice(seen.indexOf("-ERR")).split("\r\n")[0] ?? "-ERR");
    });
    socket.on("close", () => done(true, "connection closed by the server"));
    socket.on("error", (e) => done(true, e.message));
    setTimeout(() => done(true, "no answer in plain text"), 5000).unref();
  });
}

/** Publishes `forged` then a marker from the same connection; refused when the observer sees only the marker. */
async function publishRefused(
  observer: string[],
  nc: NatsConnection,
  forged: string,
  marker: string,
): Promise<{ refused: boolean; detail: string }> {
  nc.publish(forged, te.encode("forged"));
  nc.publish(marker, te.encode("marker"));
  await nc.flush();
  for (let i = 0; i < 200 && !observer.includes(marker); i++) await new Promise((r) => setTimeout(r, 25));
  if (!observer.includes(marker)) return { refused: false, detail: "the marker never arrived" };
  const through = observer.includes(forged);
  return { refused: !through, detail: through ? `${forged} was delivered` : `${forged} never delivered` };
}

export async function natsAttacks(t: NatsTarget): Promise<Attempt[]> {
  const out: Attempt[] = [];
  const url = t.server.url;
  const seen: string[] = [];
  const observer = await t.connectAs(await t.bundle("cloud", "admin", "observer"));
  observer.subscribe(">", { callback: (_e, m) => seen.push(m.subject) });
  await observer.flush();
  const devDir = await t.bundle("eu", "device", "dev-a");
  const dev = await t.connectAs(devDir);
  const b = loadBundle(devDir);

  out.push(
    await attempt("nats", "anonymous connect (TLS, no credentials)", () =>
      rejects(
        connect({
          servers: [url],
          maxReconnectAttempts: 0,
          tls: { ca: b.caPem, cert: b.certPem, key: b.keyPem },
        }),
      ),
    ),
    await attempt("nats", "plaintext connect to the TLS port", () => plaintextRefused(t.server.port)),
    await attempt("nats", "client that does not pin the deployment's CA", () =>
      rejects(
        connect({
          ...natsConnectOptions(b, [url]),
          maxReconnectAttempts: 0,
          tls: { cert: b.certPem, key: b.keyPem },
        }),
      ),
    ),
    await attempt("nats", "user of another operator (wrong account)", async () => {
      const other = await Pki.init(join(t.dir, "rogue-pki"), { nowMs: Date.now() });
      const { creds } = await userCreds(
        other.natsKeys,
        { region: "eu", role: "device", id: "dev-a" },
        {
          notAfter: new Date(Date.now() + 86_400_000),
        },
      );
      return rejects(
        connect({
          servers: [url],
          maxReconnectAttempts: 0,
          tls: { ca: b.caPem, cert: b.certPem, key: b.keyPem },
          authenticator: credsAuthenticator(te.encode(creds)),
        }),
      );
    }),
    await attempt("nats", "expired user JWT", async () => {
      const { creds } = await userCreds(
        t.pki.natsKeys,
        { region: "eu", role: "device", id: "dev-a" },
        {
          notAfter: new Date(Date.now() - 60_000),
        },
      );
      return rejects(
        connect({
          servers: [url],
          maxReconnectAttempts: 0,
          tls: { ca: b.caPem, cert: b.certPem, key: b.keyPem },
          authenticator: credsAuthenticator(te.encode(creds)),
        }),
      );
    }),
    await attempt("nats", "device publishes another device's telemetry", () =>
      publishRefused(seen, dev, "qonnect.eu.telemetry.dev-b", "qonnect.eu.telemetry.dev-a"),
    ),
    await attempt("nats", "device publishes a command to another device", () =>
      publishRefused(seen, dev, "qonnect.eu.cmd.dev-b", "qonnect.eu.register.dev-a"),
    ),
    await attempt("nats", "device publishes into another region", () =>
      publishRefused(seen, dev, "qonnect.us.telemetry.dev-a", "qonnect.eu.telemetry.dev-a"),
    ),
    await attempt("nats", "device subscribes to another device's commands", async () => {
      const errors: string[] = [];
      dev.subscribe("qonnect.eu.cmd.dev-b", { callback: (e) => e && errors.push(e.message) });
      await dev.flush();
      for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      return { refused: errors.length > 0, detail: errors[0] ?? "subscription accepted" };
    }),
    await attempt("nats", "Knowledge Base identity publishes a device command", async () => {
      const kb = await t.connectAs(await t.bundle("cloud", "kb", "kb"));
      const r = await publishRefused(seen, kb, "qonnect.eu.cmd.dev-a", "qonnect.never.marker");
      // kb may publish nothing under qonnect.>: the marker cannot arrive either; check the error instead
      await kb.close();
      return r.detail === "the marker never arrived"
        ? { refused: !seen.includes("qonnect.eu.cmd.dev-a"), detail: "kb cannot publish under qonnect.>" }
        : r;
    }),
    await attempt("nats", "payload above the 1 MiB limit", async () => {
      const big = await t.connectAs(await t.bundle("eu", "device", "dev-big"));
      try {
        big.publish("qonnect.eu.telemetry.dev-big", new Uint8Array(2 * 1024 * 1024));
        await big.flush();
        return { refused: false, detail: "a 2 MiB payload was accepted" };
      } catch (err) {
        return { refused: true, detail: (err as Error).message };
      } finally {
        await big.close().catch(() => {});
      }
    }),
    await attempt("nats", "stolen but revoked credentials (revoke + push, live connection cut)", async () => {
      const stolenDir = await t.bundle("eu", "device", "stolen");
      const live = await t.connectAs(stolenDir);
      const rec = t.pki.issued().find((r) => r.id === "stolen" && r.revokedAtMs === undefined);
      await t.pki.revoke((r) => r.serial === rec?.serial, Date.now());
      const pushed = await pushAccountJwt(t.pki, [url], Date.now());
      for (let i = 0; i < 200 && !live.isClosed(); i++) await new Promise((r) => setTimeout(r, 25));
      const again = await rejects(
        connect({ ...natsConnectOptions(loadBundle(stolenDir), [url]), maxReconnectAttempts: 0 }),
      );
      return {
        refused: live.isClosed() && again.refused && pushed.every((p) => p.ok),
        detail: `live connection ${live.isClosed() ? "closed" : "still open"}; reconnect: ${again.detail}`,
      };
    }),
  );
  await dev.close();
  await observer.close();
  return out;
}
