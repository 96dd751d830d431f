// The bundled `qonnect` as a real process: its PID is the process, its exit status is the command's, and a
// signal to that PID stops everything it started (workloads, nats-server, ...) with no process or port left.
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { freePort, useNatsServer } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildCli } from "./bundle.js";
import { readFences } from "./docs/fences.js";
import { runSession, sessions } from "./docs/session.js";
import { bufferIo } from "./io.js";
import { descendantsOf, readProcTable } from "./process-tree.js";
import { run } from "./run.js";

const root = resolve(import.meta.dirname, "../../..");
let dir: string;
let qonnect: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  // inside the repository, like dist/cli/qonnect.mjs, so native externals resolve the same way
  mkdirSync(join(root, "dist"), { recursive: true });
  dir = mkdtempSync(join(root, "dist", "test-cli-"));
  qonnect = join(dir, "qonnect.mjs");
  await buildCli(qonnect);
  symlinkSync(qonnect, join(dir, "qonnect")); // as `make install` links it: sessions find it on PATH
}, 120_000);

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the bundle itself (no shell, no node in front): the PID is the one a shell would report. */
function start(args: string[], cwd = root): Proc {
  const child = spawn(qonnect, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (b) => {
    out += b;
  });
  child.stderr!.on("data", (b) => {
    err += b;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on("exit", (code, signal) => done({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** TCP ports in LISTEN state held by these processes (from /proc/<pid>/fd and /proc/net/tcp{,6}). */
function listeningPorts(pids: number[]): number[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {}
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === "0A" && inodes.has(f[9]!)) ports.push(Number.parseInt(f[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}

const alive = (pid: number) => readProcTable().some((e) => e.pid === pid && e.state !== "Z");
const refused = (port: number) =>
  new Promise<boolean>((done) => {
    const s = connect(port, "127.0.0.1");
    s.on("connect", () => {
      s.destroy();
      done(false);
    });
    s.on("error", () => done(true));
  });

describe("qonnect bundle (real processes and signals)", () => {
  it("is one process with its own exit status and no wrapper noise", async () => {
    const ok = start(["validate", "-f", "examples/bookinfo.yaml"]);
    expect((await ok.exited).code).toBe(0);
    expect(ok.stdout()).toBe("examples/bookinfo.yaml: ok (Application/bookinfo)\n");
    const missing = start(["validate", "-f", "no-such.yaml", "--json"]);
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toContain(join(root, "no-such.yaml"));
    expect(missing.stderr()).not.toMatch(/ELIFECYCLE|pnpm/);
  }, 60_000);

  it("imports native addons (i2c-bus) from the repository's node_modules, by a path that exists", () => {
    const text = readFileSync(qonnect, "utf8");
    const relative = [...text.matchAll(/import\(\s*"(\.\.?\/[^"]+)"\s*\)/g)].map((m) => m[1]!);
    expect(relative.some((r) => r.includes("i2c-bus"))).toBe(true);
    for (const r of relative) expect(existsSync(resolve(dir, r)), r).toBe(true);
  });

  it("SIGTERM to `qonnect agent run` stops the agent and its workloads: no process, no port left", async () => {
    const nats = await useNatsServer();
    const work = mkdtempSync(join(dir, "agent-"));
    const [httpPort, detailsPort, pagePort] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(
      join(work, "agent.yaml"),
      `device: sig-pi\nregion: sig\nsite: s1\ntier: edge\nnats: { servers: [${nats.url}] }\nsensors: emulate\n` +
        `runtime: { kind: process, workDir: ${JSON.stringify(root)}, stopGraceMs: 2000 }\n` +
        `dataDir: ./data\nhttp: { port: ${httpPort} }\nlog: { level: warn }\n`,
    );
    writeFileSync(
      join(work, "command.yaml"),
      `token: { term: 1, planVersion: 1 }\nworkloads:\n` +
        `  - { app: b, service: details, command: [node, examples/bookinfo/service.mjs], ports: [${detailsPort}] }\n` +
        `  - { app: b, service: productpage, command: [node, examples/bookinfo/service.mjs], ports: [${pagePort}],\n` +
        `      calls: [{ service: details, host: 127.0.0.1, port: ${detailsPort} }] }\n`,
    );
    const agent = start(["agent", "run", "--config", "agent.yaml"], work);
    try {
      await vi.waitFor(
        async () => {
          const io = bufferIo(work);
          const code = await run(
            ["agent", "command", "-s", nats.url, "-r", "sig", "-d", "sig-pi", "-f", "command.yaml"],
            io,
          );
          expect(io.stdout).toMatch(/^accepted/);
          expect(code).toBe(0);
        },
        { timeout: 60_000, interval: 500 },
      );
      let tree: number[] = [];
      await vi.waitFor(
        () => {
          tree = [agent.child.pid!, ...descendantsOf(agent.child.pid!, readProcTable())];
          expect(listeningPorts(tree).sort()).toEqual(expect.arrayContaining([detailsPort, pagePort]));
        },
        { timeout: 60_000, interval: 200 },
      );
      const ports = listeningPorts(tree);
      expect(ports).toContain(httpPort);

      agent.child.kill("SIGTERM");
      const { code } = await agent.exited;
      expect(code).toBe(0); // it stopped itself, cleanly
      await vi.waitFor(() => expect(tree.filter(alive)).toEqual([]), { timeout: 15_000 });
      for (const port of ports) expect(await refused(port)).toBe(true);
      expect(agent.stdout() + agent.stderr()).not.toMatch(/ELIFECYCLE/);
    } finally {
      await nats.stop();
    }
  }, 120_000);

  it("SIGTERM to `qonnect kb serve` (SQLite and gRPC health from the repository's node_modules): ports freed", async () => {
    const work = mkdtempSync(join(dir, "kb-"));
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const kb = start(
      [
        "kb",
        "serve",
        "--data",
        work,
        "--insecure",
        "--grpc",
        `127.0.0.1:${grpcPort}`,
        "--http",
        `127.0.0.1:${httpPort}`,
      ],
      work,
    );
    await vi.waitFor(
      () => expect(listeningPorts([kb.child.pid!]).sort()).toEqual([grpcPort, httpPort].sort()),
      {
        timeout: 60_000,
        interval: 200,
      },
    );
    kb.child.kill("SIGTERM");
    expect((await kb.exited).code).toBe(0);
    for (const port of [grpcPort, httpPort]) expect(await refused(port)).toBe(true);
  }, 120_000);

  it("SIGINT to `qonnect demo` during the live step stops nats-server, agents and workloads", async () => {
    const demo = start(["demo"]);
    let tree: number[] = [];
    let ports: number[] = [];
    // step 3 started its nats-server and workloads: several processes under qonnect, listening
    await vi.waitFor(
      () => {
        expect(demo.stdout()).toMatch(/step 3\/3/);
        tree = [demo.child.pid!, ...descendantsOf(demo.child.pid!, readProcTable())];
        ports = listeningPorts(tree);
        expect(tree.length).toBeGreaterThanOrEqual(4);
        expect(ports.length).toBeGreaterThanOrEqual(4);
      },
      { timeout: 90_000, interval: 200 },
    );
    demo.child.kill("SIGINT");
    const { code } = await demo.exited;
    expect(code).toBe(130);
    await vi.waitFor(() => expect(tree.filter(alive)).toEqual([]), { timeout: 15_000 });
    for (const port of ports) expect(await refused(port)).toBe(true);
  }, 150_000);
});

describe("documented sessions, run for real (fences marked `docs-test: session`)", () => {
  const all = sessions(readFences(root));
  it("there are sessions to run", () => expect(all.size).toBeGreaterThan(0));
  it.each([...all.keys()])(
    "%s",
    async (key) => {
      const result = await runSession(all.get(key)!, { root, binDir: dir, freePort });
      expect(result.problems, result.log).toEqual([]);
      for (const pgid of result.groups) expect(alive(pgid)).toBe(false);
    },
    240_000,
  );
});
