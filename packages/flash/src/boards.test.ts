// More namespaced boards (real sshd, stand-in supervisor, real nats-server): an arm64 board whose agent runs
// under qemu-aarch64-static with npm's arm64 Node, the image mode's firstrun.sh booted on a board, and a
// fleet through the CLI. One shared LAN for the file.
import { cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countToken, FIRSTRUN_TOKENS } from "./first-boot.js";
import { flashOverSsh } from "./flash-ssh.js";
import { flashFleet, fleetSummary, formatFleetProgress, loadFleetInventory } from "./fleet.js";
import { extractBootPartition, flashImage } from "./image.js";
import { loadRelease, type Release } from "./release.js";
import { parseSshTarget, SshSession } from "./ssh-session.js";
import { TestLan } from "./testdata/board-lan.js";
import { agentBundle, arm64Node, deviceConfig } from "./testdata/fixtures.js";
import { makePiImage } from "./testdata/image-file.js";

let lan: TestLan;
let bundle: string;
let release: Release;

beforeAll(async () => {
  lan = await TestLan.start();
  bundle = agentBundle(join(lan.dir, "bundle"));
  release = loadRelease(bundle);
}, 120_000);

afterAll(async () => {
  await lan?.stop();
}, 60_000);

/** Resolves with the first message on a subject (raw bytes). */
async function first(subject: string, timeoutMs: number): Promise<Buffer> {
  const nc = await lan.natsConnection();
  const sub = nc.subscribe(subject, { max: 1, timeout: timeoutMs });
  return (async () => {
    try {
      for await (const m of sub) return Buffer.from(m.data);
      throw new Error(`nothing on ${subject}`);
    } finally {
      await nc.close();
    }
  })();
}

describe("more boards (namespaced, real sshd, stand-in supervisor)", () => {
  it("an arm64 board (qemu-aarch64-static, arm64 Node from npm): installs, the agent registers as arm64, telemetry arrives", async () => {
    const board = await lan.addBoard({ name: "pi5-arm", arch: "arm64" });
    lan.trust(board);
    const arm = loadRelease(bundle, { nodeBinary: arm64Node() });
    expect(arm.arch).toBe("arm64");
    const registration = first("qonnect.eu-central.register.pi5-arm", 300_000);
    const telemetry = first("qonnect.eu-central.telemetry.pi5-arm", 300_000);
    const r = await flashOverSsh({
      target: board.target,
      device: deviceConfig(lan, "pi5-arm", { windowS: 240 }),
      release: arm,
      identityFile: lan.identityFile,
      knownHostsFile: lan.knownHostsFile,
    });
    expect(r.facts.arch).toBe("arm64");
    expect(r.facts.model).toBe("Raspberry Pi 5 Model B Rev 1.0");
    expect(r.health).toBe("ok");
    expect(readFileSync(board.path(`/opt/qonnect/releases/${arm.version}/bin/node`)).readUInt16LE(18)).toBe(
      0xb7,
    );
    expect((await registration).includes("arm64")).toBe(true);
    expect((await telemetry).includes("pi5-arm")).toBe(true);
  }, 420_000);

  it("image mode booted: firstrun.sh installs, removes its cmdline.txt tokens and the credentials; twice is harmless", async () => {
    const board = await lan.addBoard({ name: "pi4-img" });
    const image = makePiImage(mkdirSync(join(lan.dir, "img"), { recursive: true }) ?? join(lan.dir, "img"));
    const device = deviceConfig(lan, "pi4-img");
    flashImage({ image, device, format: "firstrun", release });
    // the card goes into the board: its boot partition becomes the board's /boot/firmware
    const boot = board.path("/boot/firmware");
    rmSync(boot, { recursive: true, force: true });
    extractBootPartition(image, boot);
    for (const t of FIRSTRUN_TOKENS)
      expect(countToken(readFileSync(join(boot, "cmdline.txt"), "utf8"), t)).toBe(1);
    const saved = readFileSync(join(boot, "firstrun.sh"));
    const ssh = await SshSession.connect(parseSshTarget(board.target), {
      identityFile: lan.identityFile,
      knownHostsFile: lan.knownHostsFile,
      acceptNewHostKey: true,
    });
    try {
      const boot1 = await ssh.exec("sh /boot/firmware/firstrun.sh", "first boot");
      expect(boot1.code, boot1.stderr).toBe(0);
      expect(readlinkSync(board.path("/opt/qonnect/current"))).toBe(`releases/${release.version}`);
      const cmdline = readFileSync(join(boot, "cmdline.txt"), "utf8");
      for (const t of FIRSTRUN_TOKENS) expect(countToken(cmdline, t)).toBe(0);
      expect(cmdline).toContain("root=PARTUUID=4e639091-02 rootfstype=ext4");
      expect(existsSync(join(boot, "qonnect"))).toBe(false); // credentials gone from the card
      expect(existsSync(join(boot, "firstrun.sh"))).toBe(false);
      expect(
        readlinkSync(board.path("/etc/systemd/system/multi-user.target.wants/qonnect-agent.service")),
      ).toBe("/etc/systemd/system/qonnect-agent.service");
      // running it again (a copy) is harmless
      writeFileSync(join(boot, "firstrun.sh"), saved);
      const boot2 = await ssh.exec("sh /boot/firmware/firstrun.sh", "second run");
      expect(boot2.code, boot2.stderr).toBe(0);
      expect(readFileSync(join(boot, "cmdline.txt"), "utf8")).toBe(cmdline);
      // the reboot that follows starts the enabled unit; the agent reports
      const telemetry = first("qonnect.eu-central.telemetry.pi4-img", 120_000);
      const start = await ssh.exec('"$QONNECT_SERVICE_MANAGER" start qonnect-agent', "starting");
      expect(start.code).toBe(0);
      expect((await telemetry).includes("pi4-img")).toBe(true);
    } finally {
      ssh.close();
    }
  }, 300_000);

  it("qonnect flash fleet: boards in parallel, a summary of what changed and failed; the second run changes nothing", async () => {
    const a = await lan.addBoard({ name: "pi4-f1" });
    const b = await lan.addBoard({ name: "pi4-f2" });
    lan.trust(a);
    lan.trust(b);
    const dir = join(lan.dir, "fleet");
    cpSync(deviceConfig(lan, "pi4-f1").file, join(dir, "f1.yaml"));
    cpSync(join(lan.dir, "device-pi4-f1/credentials"), join(dir, "credentials"), { recursive: true });
    // the second board also joins K3s (a stand-in installer: no K3s can run here) with a token file
    mkdirSync(join(lan.dir, "device-pi4-f2"), { recursive: true });
    writeFileSync(join(lan.dir, "device-pi4-f2/node-token"), "K10abc::server:secret\n");
    const installer = join(import.meta.dirname, "testdata/k3s-installer-standin.sh");
    deviceConfig(lan, "pi4-f2", {
      extra: `k3s: { url: "https://${lan.subnet}.1:6443", tokenFile: ./node-token, installer: ${installer} }\n`,
    });
    const inventory = join(dir, "inventory.yaml");
    writeFileSync(
      inventory,
      `defaults: { release: ${bundle} }
boards:
  - { target: "${a.target}", deviceConfig: f1.yaml }
  - { target: "${b.target}", deviceConfig: ${join(lan.dir, "device-pi4-f2/device.yaml")} }
  - { target: "ssh://root@${lan.subnet}.250", deviceConfig: f1.yaml }
`,
    );
    const boards = loadFleetInventory(inventory);
    const progress: string[] = [];
    const ssh = { identityFile: lan.identityFile, knownHostsFile: lan.knownHostsFile, readyTimeoutMs: 5_000 };
    const states = await flashFleet({
      boards,
      parallel: 3,
      ...ssh,
      onProgress: (s) => progress.push(formatFleetProgress(s)[0] ?? ""),
    });
    expect(fleetSummary(states)).toMatchObject({ changed: 2, failed: 1, unchanged: 0, "rolled-back": 0 });
    expect(states[2]?.message).toMatch(/connecting/);
    expect(progress).toContain("3/3 done");
    expect(progress.at(-1)).toBe("3/3 done");
    const again = await flashFleet({ boards, parallel: 2, ...ssh });
    expect(fleetSummary(again)).toMatchObject({ changed: 0, unchanged: 2, failed: 1 });
    expect(readFileSync(b.path("/etc/rancher/k3s-standin.env"), "utf8")).toBe(
      `K3S_URL=https://${lan.subnet}.1:6443\nK3S_TOKEN=K10abc::server:secret\nINSTALL_K3S_EXEC=agent\n`,
    );
    expect(existsSync(a.path("/etc/rancher/k3s-standin.env"))).toBe(false);
  }, 300_000);
});
