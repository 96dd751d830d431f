import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FogLead, parseFogConfig, startFogLead } from "@qonnect/fog";
import { freePort, type NatsServer, startNatsServer, tempDir } from "@qonnect/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const dir = tempDir("qonnect-cli-fog-");
let nats: NatsServer;
const leads: FogLead[] = [];
const endpoints: string[] = [];

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: false });
  const addrs = [await freePort(), await freePort(), await freePort()].map((p) => `127.0.0.1:${p}`);
  endpoints.push(...addrs);
  const peers = addrs.map((a, i) => `"${i + 1}": ${a}`).join(", ");
  for (let id = 1; id <= 3; id++) {
    const text = [
      "region: r1",
      `member: ${id}`,
      `listen: ${addrs[id - 1]}`,
      `peers: { ${peers} }`,
      `dataDir: ${join(dir.path, `fog${id}`)}`,
      `nats: { servers: ["${nats.url}"] }`,
      "insecure: true",
      `http: 127.0.0.1:${await freePort()}`,
      "raft: { heartbeatMs: 50, electionMs: 500 }",
    ].join("\n");
    leads.push(
      await startFogLead(parseFogConfig(text, join(dir.path, `fog${id}.yaml`)), pino({ level: "silent" })),
    );
  }
}, 60_000);

afterAll(async () => {
  for (const l of leads) await l.stop();
  await nats?.stop();
  dir.remove();
}, 30_000);

const cli = async (...argv: string[]) => {
  const io = bufferIo(dir.path);
  const code = await run(argv, io);
  return { code, out: io.stdout, err: io.stderr };
};

async function status() {
  const r = await cli("fog", "status", "--endpoints", endpoints.join(","), "--insecure", "--json");
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as { leaderId: number; term: number; members: { id: number; leader: boolean }[] };
}

describe("qonnect fog", () => {
  it("run: a bad configuration prints every problem with its position, exits 2 and starts nothing", async () => {
    writeFileSync(join(dir.path, "bad.yaml"), "region: EU\nmember: 1\nlisten: nowhere\n");
    const r = await cli("fog", "run", "--config", "bad.yaml");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/bad\.yaml:1:9: region: must be a lowercase DNS label/);
    expect(r.err).toMatch(/bad\.yaml:3:9: listen: must be HOST:PORT/);
    expect(r.err).toMatch(/nothing was started/);
  });

  it("status: refuses plaintext unless --insecure is given", async () => {
    const r = await cli("fog", "status", "--endpoints", endpoints.join(","));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--insecure/);
  });

  it("status prints the group as JSON and as a table; transfer hands leadership over", async () => {
    await vi.waitFor(async () => expect((await status()).leaderId).toBeGreaterThan(0), { timeout: 20_000 });
    const before = await status();
    expect(before.members.map((m) => m.id)).toEqual([1, 2, 3]);
    const table = await cli("fog", "status", "--endpoints", endpoints.join(","), "--insecure");
    expect(table.out).toMatch(/^region r1: leader \d, term \d+/);
    const to = before.leaderId === 3 ? 1 : before.leaderId + 1;
    // sent to a follower on purpose: the client follows the leader hint
    const follower = endpoints[to - 1]!;
    const t = await cli("fog", "transfer", "--endpoints", follower, "--insecure", "--to", String(to));
    expect(t.code).toBe(0);
    expect(JSON.parse(t.out)).toMatchObject({ leaderId: to });
    await vi.waitFor(async () => expect((await status()).leaderId).toBe(to), { timeout: 20_000 });
  }, 60_000);

  it("member remove and add go through Raft single-server changes", async () => {
    const s = await status();
    const victim = s.members.find((m) => !m.leader)!.id;
    const rm = await cli(
      "fog",
      "member",
      "remove",
      "--endpoints",
      endpoints.join(","),
      "--insecure",
      "--id",
      String(victim),
    );
    expect(rm.code).toBe(0);
    expect(JSON.parse(rm.out).members.map((m: { id: number }) => m.id)).not.toContain(victim);
    const add = await cli(
      "fog",
      "member",
      "add",
      "--endpoints",
      endpoints.join(","),
      "--insecure",
      "--id",
      String(victim),
      "--learner",
    );
    expect(add.code).toBe(0);
    expect(JSON.parse(add.out).members).toContainEqual(
      expect.objectContaining({ id: victim, learner: true }),
    );
    const unknown = await cli(
      "fog",
      "member",
      "add",
      "--endpoints",
      endpoints.join(","),
      "--insecure",
      "--id",
      "9",
    );
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/not in the peers of fog\.yaml/);
  }, 60_000);
});
