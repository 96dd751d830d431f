import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { freePort, tempDir } from "@qonnect/testkit";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createToken } from "./api/auth.js";
import { KbClient } from "./client/kb-client.js";
import { SqliteStore } from "./store/sqlite-store.js";
import { appYaml } from "./testdata/harness.js";

const main = fileURLToPath(new URL("./testdata/serve-main.ts", import.meta.url));

function serve(dir: string, grpcPort: number, httpPort: number): ChildProcess {
  return spawn(
    process.execPath,
    ["--import", "tsx", main, dir, `127.0.0.1:${grpcPort}`, `127.0.0.1:${httpPort}`],
    {
      stdio: ["ignore", "ignore", "ignore"],
      detached: true,
    },
  );
}

async function listening(port: number): Promise<void> {
  await vi.waitFor(
    () =>
      new Promise<void>((resolve, reject) => {
        const s = connect(port, "127.0.0.1");
        s.once("connect", () => {
          s.destroy();
          resolve();
        });
        s.once("error", reject);
      }),
    { timeout: 30_000, interval: 100 },
  );
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((r) => child.once("exit", r));
}

describe("kb serve killed with SIGKILL in the middle of applies (real process, real signal)", () => {
  const dir = tempDir("kb-crash-");
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children)
      if (c.exitCode === null && c.signalCode === null) {
        c.kill("SIGKILL");
        await exited(c);
      }
    dir.remove();
  });

  it("loses no acknowledged write", async () => {
    const setup = new SqliteStore(dir.path);
    const token = (await createToken(setup, "operator", { nowMs: Date.now() })).token;
    await setup.close();
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const first = serve(dir.path, grpcPort, httpPort);
    children.push(first);
    await listening(grpcPort);
    const client = new KbClient({ server: `127.0.0.1:${grpcPort}`, insecure: true, token, timeoutMs: 5000 });
    const acked = new Map<string, number>();
    let total = 0;
    let killed = false;
    const writer = async (w: number) => {
      for (let i = 1; !killed; i++) {
        const name = `w${w}-a${i % 5}`;
        try {
          await client.apply(appYaml(name, i));
          acked.set(name, Math.max(acked.get(name) ?? 0, i));
          if (++total === 150) {
            killed = true;
            process.kill(-first.pid!, "SIGKILL");
          }
        } catch {
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, (_, w) => writer(w)));
    await exited(first);
    client.close();
    expect(first.signalCode).toBe("SIGKILL");
    expect(total).toBeGreaterThanOrEqual(150);

    const second = serve(dir.path, grpcPort, httpPort);
    children.push(second);
    await listening(grpcPort);
    const after = new KbClient({ server: `127.0.0.1:${grpcPort}`, insecure: true, token });
    for (const [name, replicas] of acked) {
      const r = await after.get(`applications/${name}`);
      // the last acknowledged write, or a later one that landed just before the kill
      expect(r.resource!.spec!.services[0].replicas).toBeGreaterThanOrEqual(replicas);
    }
    after.close();
    second.kill("SIGTERM");
    await exited(second);
    // the watch log is whole: every version from the first to the head, once
    const store = new SqliteStore(dir.path);
    const changes = await store.changes(0, 100_000);
    expect(changes.map((c) => c.resourceVersion)).toEqual(
      changes.map((_, i) => changes[0]!.resourceVersion + i),
    );
    expect(changes.at(-1)!.resourceVersion).toBe(await store.headVersion());
    await store.close();
  }, 120_000);
});
