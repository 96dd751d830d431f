import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createToken, type KbServer, startKbServer } from "@qonnect/kb";
import { tempDir } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const APP = (name: string, replicas: number, team = "a") => `apiVersion: qonnect.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  labels: { team: ${team} }
spec:
  qos: { carbon: 1 }
  services:
    - name: web
      replicas: ${replicas}
      resources: { cpu: 500m, memory: 128Mi }
`;

const INVENTORY = `apiVersion: qonnect.io/v1alpha1
kind: Inventory
metadata:
  name: lab
spec:
  zones: [{ name: DE, intensityGPerKWh: 380 }]
  sites: [{ name: berlin, tier: edge, region: eu-central, zone: DE }]
  devices:
    - { name: pi-1, site: berlin, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
    - { name: pi-2, site: berlin, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
`;

describe("kubectl-shaped CLI against a real kb serve (gRPC)", () => {
  const dir = tempDir("kb-cli-");
  let kb: KbServer;
  let operator: string;
  let viewer: string;
  const env = () => ({ ...process.env, QONNECT_CONFIG: join(dir.path, "config") });
  const cli = async (...argv: string[]) => {
    const io = bufferIo(dir.path);
    io.env = env();
    const code = await run(argv, io);
    return { code, out: io.stdout, err: io.stderr };
  };

  beforeAll(async () => {
    kb = await startKbServer({
      dataDir: join(dir.path, "data"),
      grpc: "127.0.0.1:0",
      http: "127.0.0.1:0",
      insecure: true,
    });
    operator = (await createToken(kb.store, "operator", { nowMs: Date.now() })).token;
    viewer = (await createToken(kb.store, "viewer", { nowMs: Date.now() })).token;
    writeFileSync(join(dir.path, "apps.yaml"), `${APP("web", 1)}---\n${APP("api", 2, "b")}`);
    writeFileSync(join(dir.path, "inventory.yaml"), INVENTORY);
  });
  afterAll(async () => {
    await kb.close();
    dir.remove();
  });

  it("works through a context: set-context, apply, get (table, json, yaml, wide, selector), describe, delete", async () => {
    expect((await cli("get", "applications")).code).toBe(2); // no server anywhere yet
    expect(
      (
        await cli(
          "config",
          "set-context",
          "local",
          "--server",
          kb.grpcAddress,
          "--token",
          operator,
          "--insecure",
        )
      ).code,
    ).toBe(0);
    expect((await cli("config", "current-context")).out).toBe("local\n");

    const applied = await cli("apply", "-f", "apps.yaml", "-f", "inventory.yaml");
    expect(applied.code).toBe(0);
    expect(applied.out).toBe("applications/web created\napplications/api created\ninventories/lab created\n");
    expect((await cli("apply", "-f", "apps.yaml")).out).toBe(
      "applications/web unchanged\napplications/api unchanged\n",
    );

    const table = await cli("get", "apps");
    expect(table.out.split("\n")[0]).toMatch(/^NAME\s+SERVICES\s+REPLICAS\s+PHASE/);
    expect(table.out).toMatch(/^api\s+1\s+2\s/m);
    const json = JSON.parse((await cli("get", "application", "web", "-o", "json")).out);
    expect(json).toMatchObject({ kind: "Application", metadata: { name: "web", labels: { team: "a" } } });
    const selected = JSON.parse((await cli("get", "applications", "-l", "team=b", "-o", "json")).out);
    expect(selected.items.map((x: { metadata: { name: string } }) => x.metadata.name)).toEqual(["api"]);
    expect((await cli("get", "applications", "web", "-o", "yaml")).out).toMatch(/^kind: Application$/m);
    expect((await cli("get", "applications", "-o", "wide")).out).toMatch(/LABELS/);

    const described = await cli("describe", "application", "web");
    expect(described.code).toBe(0);
    expect(described.out).toMatch(/^Name:\s+web$/m);
    expect(described.out).toMatch(/Created\s+Application web created/);

    const dry = await cli("plan", "--server", kb.grpcAddress, "--token", viewer, "--insecure", "--json");
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out).placements).toHaveLength(3);

    expect((await cli("delete", "application", "api")).out).toBe("applications/api deleted\n");
    const gone = await cli("get", "application", "api");
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/NOT_FOUND/);

    const events = await cli("events", "--json");
    expect(JSON.parse(events.out).events.map((e: { reason: string }) => e.reason)).toEqual(
      expect.arrayContaining(["Created", "Deleted"]),
    );
  });

  it("exit codes scripts rely on: 2 for bad input (with file:line:col), 1 for refusals and conflicts", async () => {
    writeFileSync(
      join(dir.path, "bad.yaml"),
      "apiVersion: qonnect.io/v1alpha1\nkind: Application\nmetadata:\n  name: BAD\nspec:\n  services: []\n",
    );
    const bad = await cli(
      "apply",
      "-f",
      "bad.yaml",
      "--server",
      kb.grpcAddress,
      "--token",
      operator,
      "--insecure",
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^bad\.yaml:4:\d+: /m);
    const denied = await cli(
      "apply",
      "-f",
      "apps.yaml",
      "--server",
      kb.grpcAddress,
      "--token",
      viewer,
      "--insecure",
    );
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/PERMISSION_DENIED/);
    const noToken = await cli("get", "apps", "--server", kb.grpcAddress, "--insecure");
    expect(noToken.code).toBe(1);
    expect(noToken.err).toMatch(/UNAUTHENTICATED/);
    const stale = await cli(
      "apply",
      "-f",
      "inventory.yaml",
      "--etag",
      "deadbeef.1",
      "--server",
      kb.grpcAddress,
      "--token",
      operator,
      "--insecure",
    );
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/ABORTED/);
    expect((await cli("get", "nonsense")).code).toBe(2);
    // kb serve refuses retention settings it cannot honour before it opens anything
    const serve = ["kb", "serve", "--data", join(dir.path, "never"), "--insecure"];
    const badDuration = await cli(...serve, "--telemetry-raw-retention", "5x");
    expect(badDuration.code).toBe(2);
    expect(badDuration.err).toMatch(/--telemetry-raw-retention 5x: use a duration such as 7d/);
    const shorter = await cli(
      ...serve,
      "--telemetry-raw-retention",
      "30d",
      "--telemetry-minute-retention",
      "7d",
    );
    expect(shorter.code).toBe(2);
    expect(shorter.err).toMatch(/minutes must outlive raw samples/);
    expect(existsSync(join(dir.path, "never"))).toBe(false);
    expect((await cli("config", "use-context", "nope")).code).toBe(1);
  });

  it("kb token create --data makes the first admin directly in the store; an admin makes more through the API", async () => {
    const first = await cli(
      "kb",
      "token",
      "create",
      "--role",
      "admin",
      "--data",
      join(dir.path, "data"),
      "--json",
    );
    expect(first.code).toBe(0);
    const admin = JSON.parse(first.out).token as string;
    const more = await cli(
      "kb",
      "token",
      "create",
      "--role",
      "viewer",
      "--server",
      kb.grpcAddress,
      "--token",
      admin,
      "--insecure",
    );
    expect(more.code).toBe(0);
    expect(more.out).toMatch(/^qkb_[0-9a-f]{12}_\S+\n$/);
    const list = await cli(
      "get",
      "apps",
      "--server",
      kb.grpcAddress,
      "--token",
      more.out.trim(),
      "--insecure",
      "-o",
      "json",
    );
    expect(list.code).toBe(0);
    expect(
      (await cli("kb", "token", "create", "--role", "root", "--data", join(dir.path, "data"))).code,
    ).toBe(2);
  });
});
