import { describe, expect, it } from "vitest";
import { FogConfigError, parseFogConfig } from "./config.js";

const GOOD = `region: eu-central
member: 1
listen: 127.0.0.1:7001
peers: { "1": 127.0.0.1:7001, "2": 127.0.0.1:7002, "3": 127.0.0.1:7003 }
dataDir: ./data-1
nats: { servers: [nats://127.0.0.1:4222] }
insecure: true
http: 127.0.0.1:9101
detector: { maxSilenceMs: 2500 }
`;

function problems(text: string): string[] {
  try {
    parseFogConfig(text, "/etc/qonnect/fog.yaml");
  } catch (err) {
    if (err instanceof FogConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("parseFogConfig", () => {
  it("reads a good file with defaults and resolves paths against its folder", () => {
    const c = parseFogConfig(GOOD, "/etc/qonnect/fog.yaml");
    expect(c.dataDir).toBe("/etc/qonnect/data-1");
    expect(c.peerMap.get(3)).toBe("127.0.0.1:7003");
    expect(c.detector).toMatchObject({ maxSilenceMs: 2500, minSilenceMs: 2000, deadPhi: 8 });
    expect(c.raft).toEqual({ heartbeatMs: 100, electionMs: 1000, snapshotEntries: 10_000 });
    expect(c.initialClusterState).toBe("new");
  });

  it("lists every problem at once with its line and column", () => {
    const bad = GOOD.replace("member: 1", "member: 0")
      .replace("listen: 127.0.0.1:7001", "listen: localhost")
      .replace("http: 127.0.0.1:9101", "http: 127.0.0.1:9101\ncolour: blue");
    const p = problems(bad);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/etc\/qonnect\/fog\.yaml:2:9: member: /),
        expect.stringMatching(/^\/etc\/qonnect\/fog\.yaml:3:9: listen: must be HOST:PORT/),
        "/etc/qonnect/fog.yaml:9:1: colour: unknown field",
      ]),
    );
  });

  it("refuses plaintext unless `insecure: true` is said explicitly", () => {
    expect(problems(GOOD.replace("insecure: true\n", ""))).toEqual([
      expect.stringMatching(/bundle: is required \(or tls: .*\) unless `insecure: true`/),
    ]);
    expect(problems(GOOD.replace("insecure: true", "insecure: false"))).toHaveLength(1);
    const tls = GOOD.replace(
      "insecure: true",
      "tls: { caFile: ca.pem, certFile: cert.pem, keyFile: key.pem }",
    );
    expect(parseFogConfig(tls, "/x/fog.yaml").tls?.keyFile).toBe("/x/key.pem");
    const bundled = GOOD.replace("insecure: true", "bundle: bundles/eu-fog-fog-1");
    expect(parseFogConfig(bundled, "/x/fog.yaml").bundle).toBe("/x/bundles/eu-fog-fog-1");
    expect(problems(bundled.replace("insecure", "x").concat("insecure: true\n"))).toEqual([
      expect.stringMatching(/insecure: cannot be true together with tls or bundle/),
    ]);
  });

  it("checks cross-field rules: this member among the peers, election above heartbeat", () => {
    const p = problems(
      GOOD.replace("member: 1", "member: 4").replace(
        "detector:",
        "raft: { heartbeatMs: 500, electionMs: 400 }\ndetector:",
      ),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/peers: must list this member \(4\)/),
        expect.stringMatching(/raft\.electionMs: must exceed raft\.heartbeatMs/),
      ]),
    );
  });

  it("reports broken YAML with its position", () => {
    expect(problems("region: [unclosed\n")).toEqual([
      expect.stringMatching(/fog\.yaml:\d+:\d+: not valid YAML/),
    ]);
  });
});
