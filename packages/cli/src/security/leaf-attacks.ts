// Attacks with a region's leafnode link credentials (the NATS user a region's leafnode server links to the
// cloud with), against the real deployment files: infra/nats/cloud.conf (three servers) and leaf.conf (regions
// eu and us) run by real nats-servers from a PKI made here. Stolen link credentials of eu must not read
// us's subjects nor speak for us; revoked ones (`revoke` + push) must cut the live link and stay out.
import { join } from "node:path";
import { type NatsDeployment, startNatsDeployment } from "@qonnect/natsd";
import {
  enroll,
  enrollNatsDeployment,
  loadBundle,
  natsConnectOptions,
  type Pki,
  pushAccountJwt,
} from "@qonnect/pki";
import { connect, type NatsConnection } from "nats";
import { type Attempt, attempt, rejects } from "./attempt.js";

const te = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

export async function leafAttacks(
  pki: Pki,
  dir: string,
): Promise<{ attempts: Attempt[]; stop(): Promise<void> }> {
  const secure = await enrollNatsDeployment(pki, join(dir, "leaf-nats-bundles"), {
    cloudServers: 3,
    regions: ["eu", "us"],
    nowMs: Date.now(),
  });
  const nats: NatsDeployment = await startNatsDeployment({
    regions: ["eu", "us"],
    dir: join(dir, "leaf-nats"),
    secure,
  });
  const open: NatsConnection[] = [];
  const stop = async () => {
    for (const nc of open) await nc.close().catch(() => {});
    await nats.stop();
  };
  try {
    const links = async () => {
      let n = 0;
      for (const s of nats.cloud) {
        const r = await fetch(`http://127.0.0.1:${s.httpPort}/leafz`);
        n += ((await r.json()) as { leafnodes: number }).leafnodes;
      }
      return n;
    };
    await until("both leafnode links", async () => (await links()) === 2);
    const as = async (role: "kb" | "device", region: string, id: string, url: string) => {
      const b = join(dir, "leaf-bundles", `${region}-${role}-${id}`);
      await enroll(pki, { region, role, id }, b, { nowMs: Date.now() });
      const nc = await connect({ ...natsConnectOptions(loadBundle(b), [url]), maxReconnectAttempts: 0 });
      open.push(nc);
      return nc;
    };
    const euLink = loadBundle(secure.servers["leaf-eu"]!.bundleDir);
    const cloudUrl = nats.cloud[0]!.url;
    const kb = await as("kb", "cloud", "kb", cloudUrl);
    const usSeen: string[] = [];
    for (const subject of ["qonnect.us.summary", "qonnect.us.telemetry.*"])
      kb.subscribe(subject, { callback: (e, m) => e || usSeen.push(new TextDecoder().decode(m.data)) });
    await kb.flush();
    const usDevice = await as("device", "us", "pu-1", nats.leaves.us!.url);
    await until("us telemetry at the cloud", async () => {
      usDevice.publish("qonnect.us.telemetry.pu-1", te.encode("real"));
      await usDevice.flush();
      await sleep(200);
      return usSeen.includes("real");
    });

    const attempts: Attempt[] = [
      await attempt("leaf", "eu's leafnode link credentials read us's subjects", async () => {
        const nc = await connect({ ...natsConnectOptions(euLink, [cloudUrl]), maxReconnectAttempts: 0 });
        open.push(nc);
        const got: string[] = [];
        const errors: string[] = [];
        nc.subscribe("qonnect.us.>", {
          callback: (e, m) => (e ? errors.push(e.message) : got.push(m.subject)),
        });
        await nc.flush().catch(() => {});
        for (let i = 0; i < 20 && errors.length === 0; i++) {
          usDevice.publish("qonnect.us.telemetry.pu-1", te.encode("real"));
          await usDevice.flush();
          await sleep(100);
        }
        return {
          refused: errors.length > 0 && got.length === 0,
          detail: `${errors[0] ?? "subscription accepted"}; ${got.length} of us's messages received`,
        };
      }),
      await attempt("leaf", "eu's leafnode link credentials publish us's summary", async () => {
        const nc = await connect({ ...natsConnectOptions(euLink, [cloudUrl]), maxReconnectAttempts: 0 });
        open.push(nc);
        nc.publish("qonnect.us.summary", te.encode("forged"));
        await nc.flush().catch(() => {});
        usDevice.publish("qonnect.us.telemetry.pu-1", te.encode("marker"));
        await usDevice.flush();
        await until("the marker", async () => usSeen.includes("marker"));
        return {
          refused: !usSeen.includes("forged"),
          detail: usSeen.includes("forged") ? "the forged summary was delivered" : "never delivered",
        };
      }),
      await attempt(
        "leaf",
        "revoked leafnode link (revoke + push): link cut, reconnect refused",
        async () => {
          await pki.revoke((r) => r.role === "nats" && r.id === "leaf-eu", Date.now());
          const pushed = await pushAccountJwt(pki, nats.cloudUrls(), Date.now());
          await until("the revoked link to drop", async () => (await links()) === 1);
          for (const s of nats.cloud) s.reload();
          const again = await rejects(
            connect({ ...natsConnectOptions(euLink, [cloudUrl]), maxReconnectAttempts: 0 }),
          );
          // the leafnode server keeps retrying; give it a few of its attempts, then count the links again
          await sleep(3000);
          const now = await links();
          return {
            refused: pushed.every((p) => p.ok) && again.refused && now === 1,
            detail: `links ${now} (us only); a fresh connect: ${again.detail}`,
          };
        },
      ),
    ];
    return { attempts, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
