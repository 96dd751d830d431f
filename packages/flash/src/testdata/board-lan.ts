// Test boards without hardware: each board is a network namespace (a veth on a bridge of our own) and a mount
// namespace whose /etc, /var/lib (overlays), /opt, /boot, /var/tmp, /run (binds) and device tree model
// look like Raspberry Pi OS, running Debian's real sshd. No systemd there: a stand-in supervisor
// (standin-supervisor.sh) plays the service manager. Everything is removed by LAN.stop().
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { connect, type NatsConnection } from "nats";

const STANDIN = join(import.meta.dirname, "standin-supervisor.sh");

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface BoardSpec {
  name: string;
  /** what the probe should see: `arm64` boards run arm64 code through qemu-aarch64-static */
  arch?: "arm64" | "amd64";
  model?: string;
  /** config.txt has dtparam=i2c_arm=on already */
  i2cOn?: boolean;
}

export interface TestBoard {
  name: string;
  ns: string;
  address: string;
  target: string;
  dir: string;
  /** host path of a file as the board sees it (the overlay's upper layer or the bind source) */
  path(boardPath: string): string;
  sshdPid: number;
  stop(): Promise<void>;
}

const BINDS: Record<string, string> = {
  "/opt": "opt",
  "/boot": "boot",
  "/var/tmp": "var-tmp",
  "/run": "run",
};
const OVERLAYS: Record<string, string> = { "/etc": "etc", "/var/lib": "var-lib" };

export class TestLan {
  readonly boards: TestBoard[] = [];
  private nats?: ChildProcess;
  private constructor(
    readonly id: string,
    readonly dir: string,
    readonly bridge: string,
    readonly subnet: string,
    readonly natsUrl: string,
    readonly identityFile: string,
    readonly knownHostsFile: string,
  ) {}

  static async start(): Promise<TestLan> {
    const id = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
    const used = sh("ip", ["-4", "addr"]);
    let third = 0;
    for (let i = 0; i < 50; i++) {
      third = 1 + Math.floor(Math.random() * 250);
      if (!used.includes(`10.231.${third}.`)) break;
    }
    const subnet = `10.231.${third}`;
    const dir = join(tmpdir(), `qonnect-flash-lan-${id}`);
    mkdirSync(dir, { recursive: true });
    const bridge = `qfbr${id}`.slice(0, 15);
    sh("ip", ["link", "add", bridge, "type", "bridge"]);
    sh("ip", ["addr", "add", `${subnet}.1/24`, "dev", bridge]);
    sh("ip", ["link", "set", bridge, "up"]);
    const identityFile = join(dir, "id_ed25519");
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", identityFile]);
    const lan = new TestLan(
      id,
      dir,
      bridge,
      subnet,
      `nats://${subnet}.1:4222`,
      identityFile,
      join(dir, "known_hosts"),
    );
    const natsDir = join(dir, "nats");
    mkdirSync(natsDir);
    lan.nats = spawn("/usr/sbin/nats-server", ["-a", `${subnet}.1`, "-p", "4222", "-js", "-sd", natsDir], {
      stdio: "ignore",
    });
    const nc = await waitFor(() => connect({ servers: lan.natsUrl, reconnect: false }), 10_000);
    await nc.close();
    return lan;
  }

  /** A board: its namespaces, a Raspberry Pi OS-looking tree, sshd listening on its address. */
  async addBoard(spec: BoardSpec): Promise<TestBoard> {
    const i = this.boards.length + 10;
    const name = spec.name;
    const ns = `qf${this.id}b${i}`;
    const address = `${this.subnet}.${i}`;
    const dir = join(this.dir, name);
    for (const d of [...Object.values(BINDS), ...Object.values(OVERLAYS).flatMap((o) => [o, `${o}-work`])])
      mkdirSync(join(dir, d), { recursive: true });
    mkdirSync(join(dir, "boot/firmware"), { recursive: true });
    mkdirSync(join(dir, "run/sshd"), { recursive: true, mode: 0o755 });
    writeFileSync(
      join(dir, "boot/firmware/config.txt"),
      `# Raspberry Pi OS config.txt (test fixture)\n${spec.i2cOn ? "" : "#"}dtparam=i2c_arm=on\n#dtparam=spi=on\ndtparam=audio=on\n[pi5]\ndtoverlay=vc4-kms-v3d\n[all]\n`,
    );
    writeFileSync(
      join(dir, "boot/firmware/cmdline.txt"),
      "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet\n",
    );
    writeFileSync(
      join(dir, "etc/os-release"),
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
    );
    const model =
      spec.model ??
      (spec.arch === "arm64" ? "Raspberry Pi 5 Model B Rev 1.0" : "Raspberry Pi 4 Model B Rev 1.5");
    const hostKey = join(dir, "ssh_host_ed25519_key");
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(`${this.identityFile}.pub`));
    const env = [`QONNECT_SERVICE_MANAGER=${STANDIN}`];
    if (spec.arch === "arm64") env.push("QONNECT_ARCH=arm64");
    writeFileSync(
      join(dir, "sshd_config"),
      [
        `ListenAddress ${address}`,
        "Port 22",
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "Subsystem sftp internal-sftp",
        `SetEnv ${env.join(" ")}`,
        "",
      ].join("\n"),
    );
    const veth = `qfv${this.id}${i}`.slice(0, 15);
    sh("ip", ["netns", "add", ns]);
    sh("ip", ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    sh("ip", ["link", "set", veth, "master", this.bridge, "up"]);
    sh("ip", ["-n", ns, "addr", "add", `${address}/24`, "dev", "eth0"]);
    sh("ip", ["-n", ns, "link", "set", "eth0", "up"]);
    sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
    const mounts = [
      ...Object.entries(OVERLAYS).map(
        ([target, d]) =>
          `mount -t overlay overlay -o lowerdir=${target},upperdir=${join(dir, d)},workdir=${join(dir, `${d}-work`)} ${target}`,
      ),
      ...Object.entries(BINDS).map(([target, d]) => `mount --bind ${join(dir, d)} ${target}`),
      "mount -t tmpfs tmpfs /sys/firmware",
      "mkdir -p /sys/firmware/devicetree/base",
      `printf '%s\\0' '${model}' > /sys/firmware/devicetree/base/model`,
      `exec /usr/sbin/sshd -D -e -f ${join(dir, "sshd_config")}`,
    ];
    const sshd = spawn("ip", ["netns", "exec", ns, "sh", "-ec", mounts.join("\n")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    sshd.stderr?.on("data", (d) => {
      log += d.toString();
    });
    await waitFor(async () => {
      if (sshd.exitCode !== null) throw new Error(`sshd of ${name} exited: ${log}`);
      if (!log.includes("Server listening")) throw new Error("not yet");
    }, 15_000);
    const board: TestBoard = {
      name,
      ns,
      address,
      target: `ssh://root@${address}`,
      dir,
      sshdPid: sshd.pid ?? -1,
      path: (boardPath: string) => {
        for (const [t, d] of [...Object.entries(BINDS), ...Object.entries(OVERLAYS)])
          if (boardPath === t || boardPath.startsWith(`${t}/`))
            return join(dir, d, boardPath.slice(t.length));
        throw new Error(`${boardPath} is not in the board's own tree`);
      },
      stop: async () => {
        for (const pid of sh("ip", ["netns", "pids", ns]).split("\n").filter(Boolean)) {
          try {
            process.kill(Number(pid), "SIGKILL");
          } catch {}
        }
        if (sshd.exitCode === null) await new Promise((r) => sshd.once("exit", r));
        try {
          sh("ip", ["netns", "del", ns]);
        } catch {}
      },
    };
    this.boards.push(board);
    return board;
  }

  /** The board's key as known_hosts has it, so tests can start from a known host. */
  trust(board: TestBoard): void {
    const pub = readFileSync(join(board.dir, "ssh_host_ed25519_key.pub"), "utf8").split(" ");
    writeFileSync(this.knownHostsFile, `${board.address} ${pub[0]} ${pub[1]}\n`, { flag: "a" });
  }

  async natsConnection(): Promise<NatsConnection> {
    return connect({ servers: this.natsUrl });
  }

  async stop(): Promise<void> {
    for (const b of this.boards) await b.stop();
    if (this.nats && this.nats.exitCode === null) {
      const exited = new Promise((r) => this.nats?.once("exit", r));
      this.nats.kill("SIGTERM");
      await exited;
    }
    try {
      sh("ip", ["link", "del", this.bridge]);
    } catch {}
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * A hash of every file (path, mode, bytes) under the board's own tree: /etc, /opt, /boot, /var/lib — except
 * the running agent's own data directory (/var/lib/qonnect-agent: its spool and state change every second).
 */
export function treeHash(board: TestBoard): string {
  const h = createHash("sha256");
  const walk = (root: string, d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (p === join(board.dir, "var-lib", "qonnect-agent")) continue;
      const st = statSync(p, { throwIfNoEntry: false });
      h.update(`${relative(root, p)} ${st?.mode ?? "dangling"}\n`);
      if (st?.isDirectory()) walk(root, p);
      else if (st?.isFile()) h.update(readFileSync(p));
    }
  };
  for (const d of ["etc", "opt", "boot", "var-lib"])
    if (existsSync(join(board.dir, d))) walk(board.dir, join(board.dir, d));
  return h.digest("hex");
}

/** An enrolment bundle as `qonnect enroll` writes it (DESIGN.md §10), made here with openssl. */
export function makeEnrolmentBundle(dir: string, device: string, region: string): string {
  mkdirSync(dir, { recursive: true });
  const o = (args: string[]) => sh("openssl", args);
  o([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    join(dir, "ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=qonnect test CA",
  ]);
  o([
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "req.csr"),
    "-subj",
    `/CN=${device}`,
  ]);
  writeFileSync(join(dir, "ext.cnf"), `subjectAltName=URI:spiffe://qonnect/${region}/device/${device}\n`);
  o([
    "x509",
    "-req",
    "-in",
    join(dir, "req.csr"),
    "-CA",
    join(dir, "ca.pem"),
    "-CAkey",
    join(dir, "ca.key"),
    "-CAcreateserial",
    "-out",
    join(dir, "cert.pem"),
    "-days",
    "2",
    "-extfile",
    join(dir, "ext.cnf"),
  ]);
  for (const f of ["ca.key", "req.csr", "ext.cnf", "ca.srl"]) rmSync(join(dir, f), { force: true });
  writeFileSync(
    join(dir, "nats.creds"),
    "-----BEGIN NATS USER JWT-----\n(test stand-in: the test nats-server runs without auth)\n------END NATS USER JWT------\n",
    { mode: 0o600 },
  );
  writeFileSync(join(dir, "identity.yaml"), `region: ${region}\nrole: device\nid: ${device}\n`);
  return dir;
}
