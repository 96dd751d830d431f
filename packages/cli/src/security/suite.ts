// The attack suite (`pnpm security [--json]`): every rule of DESIGN.md §10 tried as an attacker on the same
// network would, against real processes: a real nats-server with the generated configuration and real TLS, a
// real agent process, a Raft group over mutual TLS, real files. One line per attempt; the last line is
// {"attempts","refused","crashes","dataLost"}.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@qonnect/natsd";
import { enroll, loadBundle, natsConnectOptions, Pki, startSecureNatsServer } from "@qonnect/pki";
import { connect } from "nats";
import { agentAttacks } from "./agent-attacks.js";
import type { Attempt } from "./attempt.js";
import { fogAttacks } from "./fog-attacks.js";
import { leafAttacks } from "./leaf-attacks.js";
import { type NatsTarget, natsAttacks } from "./nats-attacks.js";
import { raftAttacks } from "./raft-attacks.js";
import { storageAttacks } from "./storage-attacks.js";

export interface SuiteSummary {
  attempts: number;
  refused: number;
  crashes: number;
  dataLost: number;
}

/** Runs every attack; `onAttempt` sees each as it finishes. Cleans up everything it started. */
export async function runSecuritySuite(onAttempt: (a: Attempt) => void): Promise<SuiteSummary> {
  const dir = mkdtempSync(join(tmpdir(), "qonnect-security-"));
  const all: Attempt[] = [];
  const record = (list: Attempt[]) => {
    for (const a of list) {
      all.push(a);
      onAttempt(a);
    }
  };
  const pki = await Pki.init(join(dir, "pki"), { nowMs: Date.now() });
  const server = await startSecureNatsServer(pki, join(dir, "nats"), { port: await freePort() });
  const bundles = new Map<string, string>();
  const open: { close(): Promise<void> }[] = [];
  const target: NatsTarget = {
    pki,
    server,
    dir,
    async bundle(region, role, id) {
      const key = `${region}-${role}-${id}`;
      let b = bundles.get(key);
      if (!b) {
        b = join(dir, "bundles", key);
        await enroll(pki, { region, role, id }, b, { nowMs: Date.now(), hosts: ["127.0.0.1", "localhost"] });
        bundles.set(key, b);
      }
      return b;
    },
    async connectAs(bundleDir) {
      const nc = await connect({
        ...natsConnectOptions(loadBundle(bundleDir), [server.url]),
        maxReconnectAttempts: 0,
      });
      open.push(nc);
      return nc;
    },
  };
  const stops: (() => Promise<void>)[] = [];
  try {
    record(await natsAttacks(target));
    const leaf = await leafAttacks(pki, dir);
    record(leaf.attempts);
    await leaf.stop();
    const agent = await agentAttacks(target);
    stops.push(agent.stop);
    record(agent.attempts);
    const raft = await raftAttacks(target);
    stops.push(raft.stop);
    record(raft.attempts);
    const fog = await fogAttacks(target);
    stops.push(fog.stop);
    record(fog.attempts);
    record(await storageAttacks(target));
    // the server under attack is still serving
    const alive = await connect({
      ...natsConnectOptions(loadBundle(await target.bundle("cloud", "admin", "probe")), [server.url]),
      maxReconnectAttempts: 0,
    })
      .then(async (nc) => {
        await nc.close();
        return true;
      })
      .catch(() => false);
    record([
      {
        area: "nats",
        name: "nats-server still serves after the attacks",
        refused: alive,
        crashed: !alive,
        detail: alive ? "ok" : "down",
      },
    ]);
  } finally {
    for (const nc of open) await nc.close().catch(() => {});
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    attempts: all.length,
    refused: all.filter((a) => a.refused).length,
    crashes: all.filter((a) => a.crashed).length,
    dataLost: all.filter((a) => a.dataLost).length,
  };
}
