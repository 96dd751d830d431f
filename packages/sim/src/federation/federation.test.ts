// The federation of `qonnect demo` as real OS processes (secure by default: a PKI, the operator/JWT + TLS
// nats-server deployment, `qonnect kb serve --bundle`, three fog leads with bundles, one agent per device with
// its bundle, in a PID namespace), on the eu-central region of examples/inventory-9-sites.yaml:
// Bookinfo applied through the Story answers, a kill -9 of productpage/0's device moves it to a device that
// answers, and stop() leaves no process of the federation behind. Slow on a loaded machine (every process
// starts through tsx), hence the generous limits; nothing here asserts a time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { REPO_ROOT } from "./cli-process.js";
import { Federation } from "./federation.js";
import { Story } from "./story.js";

function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("federation as real processes", () => {
  const dir = mkdtempSync(join(tmpdir(), "qonnect-federation-test-"));
  let fed: Federation | undefined;
  afterAll(async () => {
    await fed?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("answers Bookinfo, moves productpage off a killed device, and leaves no process (NATS included) after stop", async () => {
    fed = await Federation.start({
      dir,
      inventoryFile: join(REPO_ROOT, "examples/inventory-9-sites.yaml"),
      regions: ["eu-central"],
    });
    const story = new Story(fed, () => {});
    const applied = await story.applyBookinfo(600_000);
    expect(applied.ok, applied.detail).toBe(true);

    const lost = await story.killDevice(600_000);
    expect(lost.ok, lost.detail).toBe(true);
    expect(fed.devices.get(lost.victim)?.process.running()).toBe(false);
    const moved = (await story.placement("bookinfo"))?.placements.find(
      (p) => p.service === "productpage" && p.replica === 0,
    );
    expect(moved?.device).toBeDefined();
    expect(moved?.device).not.toBe(lost.victim);

    const state = fed.state();
    // secure by default: the deployment's CA, TLS NATS URLs, an observer's creds from an admin bundle
    expect(state.ca).toMatch(/pki\/ca\.pem$/);
    expect(state.kb.http).toMatch(/^https:/);
    expect(state.natsLeaf["eu-central"]).toMatch(/^tls:/);
    expect(state.credentials.observer).toMatch(/cloud-admin-demo\/nats\.creds$/);
    const pids = [
      state.kb.pid,
      ...Object.values(state.regions).flatMap((r) => r.fog.map((f) => f.pid)),
      ...state.devices.map((d) => d.pid),
      ...[...fed.nats.cloud, ...Object.values(fed.nats.leaves)].map((n) => n.pid() ?? -1),
    ];
    expect(pids.filter(alive).length).toBeGreaterThan(1);
    await fed.stop();
    // stop() returns when each process it started has exited; what ran inside a device's PID namespace may
    // take a moment longer to be reaped, so wait (generously) for every process group to be empty too
    const groupAlive = (pgid: number) => {
      try {
        process.kill(-pgid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(pids.filter(alive)).toEqual([]);
    await vi.waitFor(() => expect(state.devices.map((d) => d.pgid).filter(groupAlive)).toEqual([]), {
      timeout: 60_000,
      interval: 200,
    });
    fed = undefined;
  }, 1_800_000);
});
