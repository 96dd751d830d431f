// Flashing real (namespaced) boards over real SSH: sshd in a network + mount namespace per board, the real
// agent bundle, a real nats-server. No systemd as PID 1 there: a stand-in supervisor plays the service
// manager. One shared LAN for the whole file; the tests build on each other's boards in order.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BoardLinkError, BoardScriptError, HostKeyError } from "./errors.js";
import { type FlashOptions, flashOverSsh } from "./flash-ssh.js";
import { loadRelease, type Release } from "./release.js";
import { type TestBoard, TestLan, treeHash } from "./testdata/board-lan.js";
import { agentBundle, brokenBundle, deviceConfig, variantBundle } from "./testdata/fixtures.js";

let lan: TestLan;
let board: TestBoard;
let releaseA: Release;
let releaseB: Release;
let bundle: string;

beforeAll(async () => {
  lan = await TestLan.start();
  bundle = agentBundle(join(lan.dir, "bundle-a"));
  releaseA = loadRelease(bundle);
  releaseB = loadRelease(variantBundle(bundle, join(lan.dir, "bundle-b"), "release B"));
  board = await lan.addBoard({ name: "pi4-a" });
  lan.trust(board);
}, 120_000);

afterAll(async () => {
  await lan?.stop();
}, 60_000);

function opts(extra: Partial<FlashOptions> = {}): FlashOptions {
  return {
    target: board.target,
    device: deviceConfig(lan, "pi4-a"),
    release: releaseA,
    identityFile: lan.identityFile,
    knownHostsFile: lan.knownHostsFile,
    // a cut link is noticed after 5 s; shorter misjudges a healthy link on a loaded 2-core machine
    keepaliveIntervalMs: 1000,
    keepaliveCountMax: 5,
    ...extra,
  };
}

/** The next telemetry sample of a device (protobuf bytes; the device name is a string field in them). */
async function nextTelemetry(device: string, timeoutMs = 60_000): Promise<{ device: string }> {
  const nc = await lan.natsConnection();
  try {
    const sub = nc.subscribe(`qonnect.eu-central.telemetry.${device}`, { max: 1, timeout: timeoutMs });
    for await (const m of sub) return { device: Buffer.from(m.data).includes(device) ? device : "?" };
    throw new Error("no telemetry");
  } finally {
    await nc.close();
  }
}

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

describe("qonnect flash over SSH (namespaced boards, real sshd, stand-in supervisor)", () => {
  it("--dry-run prints the plan and changes nothing on the board", async () => {
    const before = treeHash(board);
    const r = await flashOverSsh(opts({ dryRun: true }));
    expect(r.health).toBe("dry-run");
    expect(r.facts).toMatchObject({
      arch: "amd64",
      model: "Raspberry Pi 4 Model B Rev 1.5",
      osCodename: "bookworm",
      i2cConfig: "off",
    });
    expect(r.plan.changes).toBeGreaterThan(5);
    expect(r.plan.steps.find((s) => s.what === "i2c")).toBeUndefined(); // sensors: emulate needs no I2C
    expect(treeHash(board)).toBe(before);
  }, 60_000);

  it("installs from scratch: files, modes, hashes, links, unit; the agent's telemetry reaches NATS", async () => {
    const telemetry = nextTelemetry("pi4-a");
    const r = await flashOverSsh(opts());
    expect(r.health).toBe("ok");
    expect(r.changed).toBeGreaterThan(5);
    const rel = board.path(`/opt/qonnect/releases/${releaseA.version}`);
    expect(readlinkSync(board.path("/opt/qonnect/current"))).toBe(`releases/${releaseA.version}`);
    execFileSync("sha256sum", ["-c", "--quiet", "SHA256SUMS"], { cwd: rel });
    expect(mode(board.path("/etc/qonnect/agent.yaml"))).toBe("640");
    for (const f of ["ca.pem", "cert.pem", "key.pem", "nats.creds", "identity.yaml"])
      expect(mode(board.path(`/etc/qonnect/bundle/${f}`))).toBe("600"); // where the unit's LoadCredential= reads
    const unit = board.path("/etc/systemd/system/qonnect-agent.service");
    expect(readFileSync(unit, "utf8")).toBe(
      readFileSync(join(import.meta.dirname, "../../../infra/systemd/qonnect-agent.service"), "utf8"),
    );
    const dropin = board.path("/etc/systemd/system/qonnect-agent.service.d/10-qonnect-release.conf");
    expect(readFileSync(dropin, "utf8")).toContain("/opt/qonnect/current/qonnect-agent.mjs");
    // the unit and its drop-in (beside it) as systemd reads them, checked offline
    const verify = spawnSync("systemd-analyze", ["verify", "--man=no", unit], { encoding: "utf8" });
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
    const sample = await telemetry;
    expect(sample.device).toBe("pi4-a");
  }, 120_000);

  it("a second run with nothing to do changes nothing and says 0 changed", async () => {
    const before = treeHash(board);
    const r = await flashOverSsh(opts());
    expect(r.changed).toBe(0);
    expect(r.health).toBe("unchanged");
    expect(treeHash(board)).toBe(before);
  }, 60_000);

  it("upgrades without `current` ever dangling, and keeps the previous release", async () => {
    const current = board.path("/opt/qonnect/current");
    let samples = 0;
    let dangling = 0;
    let stop = false;
    const watcher = (async () => {
      while (!stop) {
        samples++;
        if (!existsSync(join(current, "qonnect-agent.mjs"))) dangling++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const r = await flashOverSsh(opts({ release: releaseB }));
    stop = true;
    await watcher;
    expect(r.health).toBe("ok");
    expect(samples).toBeGreaterThan(100);
    expect(dangling).toBe(0);
    expect(readlinkSync(current)).toBe(`releases/${releaseB.version}`);
    expect(readlinkSync(board.path("/opt/qonnect/previous"))).toBe(`releases/${releaseA.version}`);
  }, 120_000);

  it("a release whose health gate fails is rolled back and the old agent reports again", async () => {
    const broken = loadRelease(brokenBundle(bundle, join(lan.dir, "bundle-broken")));
    const err = await flashOverSsh(
      opts({ release: broken, device: deviceConfig(lan, "pi4-a", { windowS: 6 }) }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(BoardScriptError);
    expect((err as BoardScriptError).exitCode).toBe(3);
    expect((err as Error).message).toMatch(
      /rolled back: .* because no answer from http:\/\/127.0.0.1:9464\/healthz within 6s/,
    );
    expect(readlinkSync(board.path("/opt/qonnect/current"))).toBe(`releases/${releaseB.version}`);
    const sample = await nextTelemetry("pi4-a");
    expect(sample.device).toBe("pi4-a");
  }, 120_000);

  it("a link cut mid-upload fails cleanly; the re-run resumes and completes; three releases are kept", async () => {
    const big = variantBundle(bundle, join(lan.dir, "bundle-big"), "big release");
    writeFileSync(join(big, "padding.bin"), Buffer.alloc(48 * 2 ** 20, 7)); // 48 MiB: the cut lands mid-upload
    const release = loadRelease(big);
    let cut = false;
    const err = await flashOverSsh(
      opts({
        release,
        onEvent: (e) => {
          if (e.kind === "upload" && !cut && e.sentBytes > 4 * 2 ** 20) {
            cut = true;
            execFileSync("ip", ["-n", board.ns, "link", "set", "eth0", "down"]);
          }
        },
      }),
    ).catch((e) => e);
    execFileSync("ip", ["-n", board.ns, "link", "set", "eth0", "up"]);
    expect(cut).toBe(true);
    expect(err).toBeInstanceOf(BoardLinkError);
    expect((err as Error).message).toMatch(/run the same command again/);
    expect(readlinkSync(board.path("/opt/qonnect/current"))).not.toBe(`releases/${release.version}`);
    const staging = board.path(`/var/tmp/qonnect-flash/${release.version}`);
    expect(existsSync(join(staging, "qonnect-board.sh"))).toBe(true); // what was sent stays for the re-run
    const r = await flashOverSsh(opts({ release }));
    expect(existsSync(staging)).toBe(false);
    // A, B, the rolled-back one and this: the oldest goes, current and previous stay (three releases kept)
    const releases = execFileSync("ls", [board.path("/opt/qonnect/releases")], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    expect(releases).toHaveLength(3);
    expect(releases).toEqual(expect.arrayContaining([release.version, releaseB.version]));
    expect(releases).not.toContain(releaseA.version);
    expect(readlinkSync(board.path("/opt/qonnect/previous"))).toBe(`releases/${releaseB.version}`);
    expect(r.health).toBe("ok");
    expect(readlinkSync(board.path("/opt/qonnect/current"))).toBe(`releases/${release.version}`);
  }, 180_000);

  it("refuses an unknown host key unless accepted explicitly, and a changed one always", async () => {
    const other = join(lan.dir, "known_hosts_other");
    writeFileSync(other, "");
    const unknown = await flashOverSsh(opts({ knownHostsFile: other, dryRun: true })).catch((e) => e);
    expect(unknown).toBeInstanceOf(HostKeyError);
    expect(unknown.kind).toBe("unknown");
    const accepted = await flashOverSsh(
      opts({ knownHostsFile: other, dryRun: true, acceptNewHostKey: true }),
    );
    expect(accepted.health).toBe("dry-run");
    expect(readFileSync(other, "utf8")).toContain(board.address);
    const forged = readFileSync(other, "utf8").replace(
      /ssh-ed25519 \S+/,
      `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 1)]).toString("base64")}`,
    );
    writeFileSync(other, forged);
    const changed = await flashOverSsh(
      opts({ knownHostsFile: other, dryRun: true, acceptNewHostKey: true }),
    ).catch((e) => e);
    expect(changed).toBeInstanceOf(HostKeyError);
    expect(changed.kind).toBe("changed");
  }, 60_000);
});
