import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

/** A device.yaml with a (dummy) enrolment bundle and a one-file agent bundle. */
function setup(): string {
  const d = tempDir("qonnect-cli-flash-");
  dirs.push(d);
  mkdirSync(join(d.path, "credentials"));
  for (const f of ["ca.pem", "cert.pem", "key.pem", "nats.creds", "identity.yaml"])
    writeFileSync(join(d.path, "credentials", f), `${f}\n`);
  mkdirSync(join(d.path, "bundle"));
  writeFileSync(join(d.path, "bundle/qonnect-agent.mjs"), "// agent\n");
  writeFileSync(
    join(d.path, "device.yaml"),
    `agent: { device: pi5-a, region: eu-central, site: s, tier: edge, nats: { servers: ["nats://10.0.0.1:4222"] } }\ncredentials: ./credentials\n`,
  );
  return d.path;
}

describe("qonnect flash", () => {
  it("a malformed target or device config is a usage error (exit 2) that says what to write", async () => {
    const dir = setup();
    const io = bufferIo(dir);
    expect(await run(["flash", "pi@10.0.0.5", "-d", "device.yaml"], io)).toBe(2);
    expect(io.stderr).toMatch(/ssh:\/\/USER@HOST\[:PORT\]/);
    writeFileSync(join(dir, "bad.yaml"), "agent: { device: X }\ncredentials: ./none\n");
    const bad = bufferIo(dir);
    expect(await run(["flash", "ssh://pi@10.0.0.5", "-d", "bad.yaml"], bad)).toBe(2);
    expect(bad.stderr).toMatch(/agent.device: must be a lowercase DNS label/);
    expect(bad.stderr).toMatch(/credentials: .*none\/ca.pem is missing/);
  });

  it("an unreachable board fails (exit 1) with what to do next", async () => {
    const dir = setup();
    const io = bufferIo(dir);
    const code = await run(
      [
        "flash",
        "ssh://root@127.0.0.1:1",
        "-d",
        "device.yaml",
        "--release",
        "bundle",
        "--known-hosts",
        join(dir, "kh"),
      ],
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr).toMatch(/link lost while connecting .* run the same command again/);
  });

  it("flash image --json writes a Raspberry Pi OS image made here and prints one JSON document", async () => {
    const dir = setup();
    const image = join(dir, "pi.img");
    const part = join(dir, "boot.img");
    execFileSync("truncate", ["-s", "40M", image]);
    execFileSync("sfdisk", ["-q", image], { input: "label: dos\nstart=2048, size=65536, type=c\n" });
    execFileSync("mkfs.vfat", ["-C", part, "32768"], { stdio: "ignore" });
    writeFileSync(join(dir, "cmdline.txt"), "console=tty1 root=PARTUUID=1-02 rootwait\n");
    execFileSync("mcopy", ["-i", part, join(dir, "cmdline.txt"), "::/cmdline.txt"], {
      env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
    });
    execFileSync("dd", [`if=${part}`, `of=${image}`, "bs=512", "seek=2048", "conv=notrunc", "status=none"]);
    const io = bufferIo(dir);
    const code = await run(
      [
        "flash",
        "image",
        "pi.img",
        "-d",
        "device.yaml",
        "--format",
        "cloud-init",
        "--release",
        "bundle",
        "--json",
      ],
      io,
    );
    expect(io.stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r).toMatchObject({
      partitionOffsetBytes: 2048 * 512,
      written: ["qonnect/", "user-data", "meta-data"],
    });
    const userData = execFileSync("mtype", ["-i", `${image}@@${2048 * 512}`, "::/user-data"], {
      encoding: "utf8",
      env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
    });
    expect(
      userData.startsWith("#cloud-config\nruncmd:\n  - sh /boot/firmware/qonnect/qonnect-board.sh apply"),
    ).toBe(true);
    const wrong = bufferIo(dir);
    expect(await run(["flash", "image", "pi.img", "-d", "device.yaml", "--format", "zip"], wrong)).toBe(2);
  });
});
