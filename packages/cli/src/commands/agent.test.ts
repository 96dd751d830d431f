import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Agent, createLogger, loadAgentConfig } from "@qonnect/agent";
import { freePort, tempDir, useNatsServer, waitFor } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
const dir = () => {
  const d = tempDir("qonnect-cli-agent-");
  dirs.push(d);
  return d.path;
};

describe("qonnect agent", () => {
  it("the shipped agent configurations load; the board's paths stay inside its own folders", () => {
    const dir = resolve(import.meta.dirname, "../../../../examples/agent");
    const dev = loadAgentConfig(join(dir, "agent.yaml"));
    expect(dev.device).toBe("dev-pi-1");
    const board = loadAgentConfig(join(dir, "board.yaml"));
    expect(board.dataDir).toBe("/var/lib/qonnect-agent");
    expect(board.runtime.workDir).toBe("/opt/qonnect/work");
    // a board speaks to its region over TLS with its enrolment bundle, never plaintext
    expect(board.nats.servers.every((s) => s.startsWith("tls://"))).toBe(true);
    expect(board.nats.bundleDir).toBe("/run/credentials/qonnect-agent.service");
  });

  it("run: a bad configuration gives one line per problem, exit 2, and starts nothing", async () => {
    const d = dir();
    writeFileSync(join(d, "agent.yaml"), "device: Pi_5\ntier: moon\nnats: { servers: [] }\n");
    const io = bufferIo(d);
    const code = await run(["agent", "run", "--config", "agent.yaml"], io);
    expect(code).toBe(2);
    const lines = io.stderr.trim().split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/.*\/agent.yaml: device: must be a lowercase DNS label/),
        `${join(d, "agent.yaml")}: region: is required`,
        expect.stringMatching(/^\/.*\/agent.yaml: tier: must be one of/),
        expect.stringMatching(/^\/.*\/agent.yaml: nats.servers: must be a non-empty list/),
        `${join(d, "agent.yaml")}: dataDir: is required`,
      ]),
    );
    expect(lines.at(-1)).toMatch(/nothing was started/);
    expect(io.stdout).toBe("");
  }, 60_000);

  it("status --config with a missing file: one line naming the resolved path, exit 2", async () => {
    const d = dir();
    const io = bufferIo(d);
    expect(await run(["agent", "status", "--config", "nope.yaml"], io)).toBe(2);
    expect(io.stderr.trim().split("\n")).toEqual([
      `error: ${join(d, "nope.yaml")}: cannot read the file (ENOENT); fix it, or give the agent's address with --url`,
    ]);
  });

  it("status: says what to do when no agent answers", async () => {
    const io = bufferIo();
    const code = await run(["agent", "status", "--url", `http://127.0.0.1:${await freePort()}`], io);
    expect(code).toBe(1);
    expect(io.stderr).toMatch(
      /no agent answers at .*is it running \(qonnect agent run --config agent.yaml\)\?/,
    );
  }, 60_000);

  it("status: shows connection, sensors, workloads and spool depth of a running agent", async () => {
    const d = dir();
    const port = await freePort();
    const file = join(d, "agent.yaml");
    writeFileSync(
      file,
      `device: pi-cli\nregion: cli\nsite: s1\ntier: edge\nnats: { servers: [nats://127.0.0.1:${await freePort()}] }\n` +
        `sensors: emulate\ndataDir: ./data\nhttp: { port: ${port} }\n`,
    );
    const agent = await Agent.start({ config: loadAgentConfig(file), logger: createLogger("silent") });
    try {
      const io = bufferIo(d);
      const code = await run(["agent", "status", "--config", "agent.yaml"], io);
      expect(io.stderr).toBe("");
      expect(code).toBe(0);
      expect(io.stdout).toMatch(/device\s+pi-cli \(edge, cli\/s1\)/);
      expect(io.stdout).toMatch(/nats\s+DISCONNECTED/);
      expect(io.stdout).toMatch(/sensors\s+power: INA219 \(emulated\)/);
      expect(io.stdout).toMatch(/spool depth \d+/);
      expect(io.stdout).toMatch(/runtime\s+process, 0 workload/);
    } finally {
      await agent.stop();
    }
  }, 60_000);

  it("watch: prints decoded telemetry from a running agent's emulated INA219", async () => {
    const nats = await useNatsServer();
    const d = dir();
    const file = join(d, "agent.yaml");
    writeFileSync(
      file,
      `device: pi-watch\nregion: watch\nsite: s1\ntier: edge\nnats: { servers: [${nats.url}] }\n` +
        `sensors: emulate\nsamplePeriodMs: 200\ndataDir: ./data\nhttp: { port: 0 }\n`,
    );
    const agent = await Agent.start({ config: loadAgentConfig(file), logger: createLogger("silent") });
    try {
      const io = bufferIo(d);
      const code = await run(
        ["agent", "watch", "-s", nats.url, "-r", "watch", "-d", "pi-watch", "-n", "3"],
        io,
      );
      expect(code).toBe(0);
      const lines = io.stdout
        .trim()
        .split("\n")
        .filter((l) => l.includes("seq"));
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatch(/pi-watch {2}seq \d+ {2}3\.06\d W measured {2}5\.100 V {2}0\.600\d A/);
    } finally {
      await agent.stop();
      await nats.stop();
    }
  }, 60_000);

  it("command: sends a fenced workload set; a lower token is refused with exit 1", async () => {
    const nats = await useNatsServer();
    const d = dir();
    const file = join(d, "agent.yaml");
    writeFileSync(
      file,
      `device: pi-cmd\nregion: cmd\nsite: s1\ntier: edge\nnats: { servers: [${nats.url}] }\nsensors: emulate\n` +
        `runtime: { kind: process, workDir: ${resolve(import.meta.dirname, "../../../..")} }\n` +
        `dataDir: ./data\nhttp: { port: 0 }\n`,
    );
    const port = await freePort();
    const command = (planVersion: number) =>
      `token: { term: 2, planVersion: ${planVersion} }\nworkloads:\n` +
      `  - { app: shop, service: cart, command: [node, examples/bookinfo/service.mjs], ports: [${port}] }\n`;
    writeFileSync(join(d, "cmd5.yaml"), command(5));
    writeFileSync(join(d, "cmd4.yaml"), command(4));
    const agent = await Agent.start({ config: loadAgentConfig(file), logger: createLogger("silent") });
    try {
      await waitForConnected(agent);
      const send = async (f: string) => {
        const io = bufferIo(d);
        const code = await run(
          ["agent", "command", "-s", nats.url, "-r", "cmd", "-d", "pi-cmd", "-f", f],
          io,
        );
        return { code, io };
      };
      const ok = await send("cmd5.yaml");
      expect(ok.io.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(ok.io.stdout).toMatch(
        /^accepted; the device holds term 2, plan 5\n {2}shop\/cart\/0 {2}(pending|running)/,
      );
      const stale = await send("cmd4.yaml");
      expect(stale.code).toBe(1);
      expect(stale.io.stdout).toMatch(/^refused; the device holds term 2, plan 5/);
      expect(stale.io.stderr).toMatch(/stale fencing token/);
    } finally {
      await agent.stop();
      await nats.stop();
    }
  }, 60_000);
});

function waitForConnected(agent: Agent): Promise<void> {
  return waitFor(async () => (await agent.status()).nats.connected, { what: "the agent to connect to NATS" });
}
