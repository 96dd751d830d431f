import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseDeviceConfig } from "./device-config.js";
import { ImageError } from "./errors.js";
import { firstrunScript, REPO_ROOT } from "./firmware-scripts.js";
import { BOOT_MOUNT, countToken, FIRSTRUN_TOKENS, withFirstrunTokens } from "./first-boot.js";
import { extractBootPartition, flashImage, readBootFile } from "./image.js";
import { bufferFile, type Release } from "./release.js";
import { makeEnrolmentBundle } from "./testdata/board-lan.js";
import { makePiImage } from "./testdata/image-file.js";

let dir: string;
const release: Release = {
  version: "0.1.0-test",
  arch: "any",
  hasNode: false,
  files: [
    bufferFile("qonnect-agent.mjs", Buffer.from("// agent\n"), 0o755),
    bufferFile("SHA256SUMS", Buffer.from("")),
  ],
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "qonnect-image-test-"));
  makeEnrolmentBundle(join(dir, "credentials"), "pi5-img", "eu-central");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function device() {
  const file = join(dir, "device.yaml");
  const text = `agent: { device: pi5-img, region: eu-central, site: s1, tier: edge, nats: { servers: ["nats://10.0.0.1:4222"] }, runtime: k3s }
credentials: ./credentials
`;
  writeFileSync(file, text);
  return parseDeviceConfig(text, file);
}

describe("qonnect flash image (a FAT image made here, written with mtools, never mounted)", () => {
  it("firstrun: payload and firstrun.sh on the boot partition, cmdline.txt tokens exactly once, even after two runs", () => {
    const image = makePiImage(mkdtempSync(join(dir, "a-")));
    flashImage({ image, device: device(), format: "firstrun", release });
    flashImage({ image, device: device(), format: "firstrun", release });
    const cmdline = readBootFile(image, "cmdline.txt") ?? "";
    for (const t of FIRSTRUN_TOKENS) expect(countToken(cmdline, t)).toBe(1);
    expect(cmdline.split("\n").filter(Boolean)).toHaveLength(1);
    expect(cmdline).toContain("root=PARTUUID=4e639091-02");
    expect(readBootFile(image, "firstrun.sh")).toBe(firstrunScript().toString());
    const out = join(dir, "a-out");
    extractBootPartition(image, out);
    expect(readFileSync(join(out, "qonnect/etc/credentials/key.pem"), "utf8")).toContain("PRIVATE KEY");
    const settings = readFileSync(join(out, "qonnect/settings.env"), "utf8");
    expect(settings).toContain("GATE=off"); // no network on the first-boot run
    expect(settings).toContain("CGROUP=on"); // runtime k3s on a Raspberry Pi
    execFileSync("sha256sum", ["-c", "--quiet", "SHA256SUMS"], { cwd: join(out, "qonnect") });
  });

  it("firstrun-cleanup (the script's own code) removes exactly the tokens it added", () => {
    const before = "console=tty1 root=PARTUUID=x rootwait quiet\n";
    const file = join(dir, "cmdline.txt");
    writeFileSync(file, withFirstrunTokens(before));
    execFileSync("sh", [join(REPO_ROOT, "firmware-scripts/qonnect-board.sh"), "firstrun-cleanup", file]);
    expect(readFileSync(file, "utf8")).toBe(before);
    execFileSync("sh", [join(REPO_ROOT, "firmware-scripts/qonnect-board.sh"), "firstrun-cleanup", file]);
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("keeps Raspberry Pi Imager's firstrun.sh and runs it after ours", () => {
    const imager = "#!/bin/bash\n# Imager customisation\nrm -f /boot/firstrun.sh\nexit 0\n";
    const image = makePiImage(mkdtempSync(join(dir, "b-")), { "firstrun.sh": imager });
    flashImage({ image, device: device(), format: "firstrun", release });
    expect(readBootFile(image, "qonnect/imager-firstrun.sh")).toBe(imager);
    expect(
      countToken(readBootFile(image, "cmdline.txt") ?? "", `systemd.run=${BOOT_MOUNT}/firstrun.sh`),
    ).toBe(1);
  });

  it("cloud-init: user-data parses as cloud-config, keeps what was there, runcmd once", () => {
    const existing = "#cloud-config\nhostname: pi5-img\nusers:\n  - name: pi\n    groups: sudo\n";
    const image = makePiImage(mkdtempSync(join(dir, "c-")), { "user-data": existing });
    flashImage({ image, device: device(), format: "cloud-init", release });
    flashImage({ image, device: device(), format: "cloud-init", release });
    const userData = readBootFile(image, "user-data") ?? "";
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    const doc = parseYaml(userData);
    expect(doc.hostname).toBe("pi5-img");
    expect(doc.users[0].name).toBe("pi");
    expect(doc.runcmd).toEqual([
      `sh ${BOOT_MOUNT}/qonnect/qonnect-board.sh apply ${BOOT_MOUNT}/qonnect && rm -rf ${BOOT_MOUNT}/qonnect`,
    ]);
    expect(parseYaml(readBootFile(image, "meta-data") ?? "")).toEqual({
      "instance-id": "qonnect-pi5-img",
      "local-hostname": "pi5-img",
    });
  });

  it("refuses a file without a partition table, with what to do", () => {
    const junk = join(dir, "junk.img");
    writeFileSync(junk, Buffer.alloc(4096));
    expect(() => flashImage({ image: junk, device: device(), format: "firstrun", release })).toThrow(
      ImageError,
    );
    expect(() => flashImage({ image: junk, device: device(), format: "firstrun", release })).toThrow(
      /uncompress .xz first/,
    );
  });
});
