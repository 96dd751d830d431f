import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type DeviceConfig, loadDeviceConfig } from "./device-config.js";
import { ImageError } from "./errors.js";
import { DEFAULT_BUNDLE_DIR, DEFAULT_UNIT_FILE, firstrunScript } from "./firmware-scripts.js";
import {
  countToken,
  FIRSTRUN_TOKENS,
  metaData,
  withCloudInitRuncmd,
  withFirstrunTokens,
} from "./first-boot.js";
import { bootPartition, readMbr } from "./mbr.js";
import { buildPayload, readUnitFile } from "./payload.js";
import { loadRelease, type Release, shippedBytes } from "./release.js";

export interface ImageOptions {
  image: string;
  device: DeviceConfig | string;
  format: "firstrun" | "cloud-init";
  release?: string | Release;
  node?: string;
  unitFile?: string;
}

export interface ImageResult {
  image: string;
  version: string;
  partitionOffsetBytes: number;
  written: string[];
}

/** One FAT partition inside an image file, read and written with mtools (no mount, no root). */
class FatPartition {
  constructor(
    private readonly image: string,
    private readonly offset: number,
  ) {}
  private run(cmd: string, args: string[], input?: Buffer): string {
    try {
      return execFileSync(cmd, ["-i", `${this.image}@@${this.offset}`, ...args], {
        encoding: "utf8",
        input,
        env: { ...process.env, MTOOLS_SKIP_CHECK: "1", MTOOLS_NO_VFAT: "0" },
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (err) {
      const e = err as { code?: string; stderr?: string };
      if (e.code === "ENOENT")
        throw new ImageError(this.image, `${cmd} not found: install mtools (apt-get install mtools)`);
      throw new ImageError(this.image, `${cmd} ${args.join(" ")}: ${String(e.stderr ?? err).trim()}`);
    }
  }
  read(path: string): string | undefined {
    try {
      return this.run("mtype", [`::/${path}`]);
    } catch {
      return undefined;
    }
  }
  write(path: string, data: Buffer | string): void {
    const tmp = mkdtempSync(join(tmpdir(), "qonnect-image-"));
    try {
      const file = join(tmp, "f");
      writeFileSync(file, data);
      this.run("mcopy", ["-o", "-Q", file, `::/${path}`]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  removeTree(path: string): void {
    try {
      this.run("mdeltree", [`::/${path}`]);
    } catch {}
  }
  copyTree(localDir: string, path: string): void {
    this.run("mcopy", ["-s", "-o", "-Q", localDir, `::/${path}`]);
  }
  copyOut(path: string, localDir: string): void {
    this.run("mcopy", ["-s", "-o", "-n", `::/${path}`, localDir]);
  }
}

function openBoot(image: string): { fat: FatPartition; offset: number } {
  const head = Buffer.alloc(512);
  let fd: number;
  try {
    fd = openSync(image, "r");
  } catch {
    throw new ImageError(image, "cannot open the image file");
  }
  try {
    readSync(fd, head, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  const parts = readMbr(head);
  if (parts === "gpt")
    throw new ImageError(image, "GPT images are not supported: Raspberry Pi OS images use an MBR");
  if (parts === "none")
    throw new ImageError(image, "no partition table: is this a Raspberry Pi OS .img (uncompress .xz first)?");
  const boot = bootPartition(parts);
  if (!boot) throw new ImageError(image, "no FAT boot partition in the partition table");
  return { fat: new FatPartition(image, boot.offsetBytes), offset: boot.offsetBytes };
}

/**
 * `qonnect flash image`: the installation of `qonnect flash` written into the image's boot partition so
 * the board installs itself on first boot: the payload in qonnect/, and firstrun.sh with its cmdline.txt
 * tokens, or a cloud-init runcmd. Running it again replaces what an earlier run wrote (tokens stay once).
 */
export function flashImage(options: ImageOptions): ImageResult {
  const device = typeof options.device === "string" ? loadDeviceConfig(options.device) : options.device;
  const release =
    options.release && typeof options.release !== "string"
      ? options.release
      : loadRelease(options.release ?? DEFAULT_BUNDLE_DIR, { nodeBinary: options.node });
  const unitText = readUnitFile(options.unitFile ?? DEFAULT_UNIT_FILE);
  const { fat, offset } = openBoot(options.image);
  const cmdline = fat.read("cmdline.txt");
  if (cmdline === undefined)
    throw new ImageError(
      options.image,
      "the boot partition has no cmdline.txt: not a Raspberry Pi OS image?",
    );
  const gate = options.format === "cloud-init"; // runcmd runs with the network up; firstrun.sh before it
  const payload = buildPayload(release, device, { unitText, gate });
  const written: string[] = [];

  const stage = mkdtempSync(join(tmpdir(), "qonnect-payload-"));
  try {
    const root = join(stage, "qonnect");
    for (const f of payload.files) {
      const p = join(root, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, shippedBytes(f), { mode: f.mode });
    }
    const imagerFirstrun = fat.read("firstrun.sh");
    fat.removeTree("qonnect");
    if (imagerFirstrun && !imagerFirstrun.includes("qonnect-board.sh")) {
      writeFileSync(join(root, "imager-firstrun.sh"), imagerFirstrun);
    }
    fat.copyTree(root, "");
    written.push("qonnect/");
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }

  if (options.format === "firstrun") {
    fat.write("firstrun.sh", firstrunScript());
    const next = withFirstrunTokens(cmdline);
    for (const t of FIRSTRUN_TOKENS)
      if (countToken(next, t) !== 1)
        throw new ImageError(options.image, `cmdline.txt would carry ${t} ${countToken(next, t)} times`);
    fat.write("cmdline.txt", next);
    written.push("firstrun.sh", "cmdline.txt");
  } else {
    let userData: string;
    try {
      userData = withCloudInitRuncmd(fat.read("user-data"));
    } catch (err) {
      throw new ImageError(options.image, (err as Error).message);
    }
    fat.write("user-data", userData);
    if (fat.read("meta-data") === undefined) fat.write("meta-data", metaData(device.agent.device));
    written.push("user-data", "meta-data");
  }
  return { image: options.image, version: release.version, partitionOffsetBytes: offset, written };
}

/** Copies the boot partition's files out of an image (tests; inspecting what a run wrote). */
export function extractBootPartition(image: string, localDir: string): void {
  mkdirSync(localDir, { recursive: true });
  openBoot(image).fat.copyOut("*", localDir);
}

/** Reads one file of the boot partition. */
export function readBootFile(image: string, path: string): string | undefined {
  return openBoot(image).fat.read(path);
}
