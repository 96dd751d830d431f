import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { Client, type ConnectConfig, type SFTPWrapper } from "ssh2";
import { BoardLinkError, HostKeyError } from "./errors.js";
import { checkHostKey, keyFingerprint, knownHostsLine } from "./known-hosts.js";

/** `ssh://USER@HOST[:PORT]` */
export interface SshTarget {
  user: string;
  host: string;
  port: number;
  /** the target as written */
  url: string;
}

export class SshTargetError extends Error {
  constructor(readonly target: string) {
    super(`${target}: a board is given as ssh://USER@HOST[:PORT], e.g. ssh://pi@192.168.1.20`);
    this.name = "SshTargetError";
  }
}

export function parseSshTarget(url: string): SshTarget {
  const m = /^ssh:\/\/([^@/\s]+)@(\[[^\]]+\]|[^:/\s]+)(?::(\d+))?\/?$/.exec(url);
  if (!m) throw new SshTargetError(url);
  const port = m[3] ? Number(m[3]) : 22;
  if (port < 1 || port > 65535) throw new SshTargetError(url);
  return { user: m[1] ?? "", host: (m[2] ?? "").replace(/^\[|\]$/g, ""), port, url };
}

export interface SshOptions {
  knownHostsFile?: string;
  acceptNewHostKey?: boolean;
  /** private key file; default ~/.ssh/id_ed25519, id_ecdsa, id_rsa, or the ssh-agent */
  identityFile?: string;
  readyTimeoutMs?: number;
  /** a dead link is noticed after keepaliveIntervalMs × keepaliveCountMax */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function defaultKnownHostsFile(): string {
  return join(homedir(), ".ssh", "known_hosts");
}

function defaultIdentity(): Buffer | undefined {
  for (const name of ["id_ed25519", "id_ecdsa", "id_rsa"]) {
    const p = join(homedir(), ".ssh", name);
    if (existsSync(p)) return readFileSync(p);
  }
  return undefined;
}

/** One SSH connection to a board: host key checked, commands and SFTP uploads fail fast when the link dies. */
export class SshSession {
  private sftpChannel?: SFTPWrapper;
  private broken?: Error;
  private readonly waiters = new Set<(err: Error) => void>();

  private constructor(
    readonly target: SshTarget,
    private readonly client: Client,
  ) {
    const fail = (err: Error) => {
      this.broken ??= err;
      for (const w of this.waiters) w(this.broken);
      this.waiters.clear();
    };
    client.on("error", fail);
    client.on("close", () => fail(new Error("connection closed")));
  }

  static async connect(target: SshTarget, options: SshOptions = {}): Promise<SshSession> {
    const knownHostsFile = options.knownHostsFile ?? defaultKnownHostsFile();
    let hostKeyError: HostKeyError | undefined;
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      keepaliveInterval: options.keepaliveIntervalMs ?? 2_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      hostVerifier: (key: Buffer) => {
        const text = existsSync(knownHostsFile) ? readFileSync(knownHostsFile, "utf8") : "";
        const verdict = checkHostKey(text, target.host, target.port, key);
        if (verdict === "known") return true;
        if (verdict === "unknown" && options.acceptNewHostKey) {
          mkdirSync(dirname(knownHostsFile), { recursive: true, mode: 0o700 });
          appendFileSync(knownHostsFile, knownHostsLine(target.host, target.port, key), { mode: 0o600 });
          return true;
        }
        hostKeyError = new HostKeyError(
          verdict === "changed" ? "changed" : "unknown",
          target.host,
          keyFingerprint(key),
          knownHostsFile,
        );
        return false;
      },
    };
    if (options.identityFile) config.privateKey = readFileSync(options.identityFile);
    else {
      const key = defaultIdentity();
      if (key) config.privateKey = key;
      else if (process.env.SSH_AUTH_SOCK) config.agent = process.env.SSH_AUTH_SOCK;
    }
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once("ready", () => resolve());
      client.once("error", (err) =>
        reject(hostKeyError ?? new BoardLinkError(target.url, "connecting", err)),
      );
      client.connect(config);
    });
    return new SshSession(target, client);
  }

  /** Rejects when the link breaks, so nothing waits forever on a dead TCP connection. */
  private guard<T>(stage: string, work: Promise<T>): Promise<T> {
    if (this.broken) return Promise.reject(new BoardLinkError(this.target.url, stage, this.broken));
    let waiter: ((err: Error) => void) | undefined;
    const broken = new Promise<never>((_, reject) => {
      waiter = (err) => reject(new BoardLinkError(this.target.url, stage, err));
      this.waiters.add(waiter);
    });
    return Promise.race([work, broken]).finally(() => {
      if (waiter) this.waiters.delete(waiter);
    });
  }

  /** Runs a command; `stdin` is written to it and closed. `onLine` sees stdout line by line. */
  exec(
    command: string,
    stage: string,
    stdin?: Buffer | string,
    onLine?: (line: string) => void,
  ): Promise<ExecResult> {
    const work = new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(err);
        let stdout = "";
        let stderr = "";
        let pending = "";
        stream.on("data", (d: Buffer) => {
          stdout += d.toString();
          if (onLine) {
            pending += d.toString();
            const lines = pending.split("\n");
            pending = lines.pop() ?? "";
            for (const l of lines) onLine(l);
          }
        });
        stream.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
        });
        stream.on("close", (code: number | null) => {
          if (onLine && pending) onLine(pending);
          resolve({ code: code ?? 255, stdout, stderr });
        });
        if (stdin !== undefined) stream.end(stdin);
        else stream.end();
      });
    });
    return this.guard(stage, work);
  }

  private async sftp(): Promise<SFTPWrapper> {
    if (this.sftpChannel) return this.sftpChannel;
    this.sftpChannel = await this.guard(
      "opening SFTP",
      new Promise<SFTPWrapper>((resolve, reject) =>
        this.client.sftp((err, s) => (err ? reject(err) : resolve(s))),
      ),
    );
    return this.sftpChannel;
  }

  /** Uploads one file (a path or bytes) with its mode; `onBytes` reports progress. */
  async upload(
    source: string | Buffer,
    remotePath: string,
    mode: number,
    onBytes?: (n: number) => void,
  ): Promise<void> {
    const sftp = await this.sftp();
    const work = new Promise<void>((resolve, reject) => {
      if (typeof source === "string") {
        let last = 0;
        sftp.fastPut(
          source,
          remotePath,
          {
            mode,
            step: (total) => {
              onBytes?.(total - last);
              last = total;
            },
          },
          (err) => (err ? reject(err) : resolve()),
        );
      } else {
        sftp.writeFile(remotePath, source, { mode }, (err) => {
          if (err) return reject(err);
          onBytes?.(source.length);
          resolve();
        });
      }
    });
    await this.guard(`uploading ${remotePath}`, work);
  }

  close(): void {
    this.client.end();
  }
}
