import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDeviceConfig, parseDeviceConfig } from "./device-config.js";
import { DeviceConfigError } from "./errors.js";
import { makeEnrolmentBundle } from "./testdata/board-lan.js";

const dir = mkdtempSync(join(tmpdir(), "qonnect-devcfg-"));
makeEnrolmentBundle(join(dir, "bundle"), "pi5-a", "eu-central");

function problems(text: string): string[] {
  try {
    parseDeviceConfig(text, join(dir, "device.yaml"));
  } catch (err) {
    if (err instanceof DeviceConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("device.yaml", () => {
  it("reads the agent section, the enrolment bundle and defaults", () => {
    writeFileSync(
      join(dir, "ok.yaml"),
      `agent: { device: pi5-a, region: eu-central, site: s, tier: edge, nats: { servers: ["nats://10.0.0.1:4222"] } }\ncredentials: ./bundle\n`,
    );
    const c = loadDeviceConfig(join(dir, "ok.yaml"));
    expect(c.agent.dataDir).toBe("/var/lib/qonnect-agent");
    expect(c.credentialsDir).toBe(join(dir, "bundle"));
    expect(c).toMatchObject({
      boot: { i2c: "auto", cgroup: "auto" },
      health: { windowS: 60 },
      keepReleases: 3,
    });
    expect(c.agentYaml).toContain("device: pi5-a");
  });

  it("lists every problem at once, the agent's own among them", () => {
    expect(
      problems(`agent: { device: Pi_5, region: eu-central, site: s, tier: edge, nats: { servers: [localhost] } }
credentials: ./nowhere
boot: { i2c: maybe }
keepReleases: 1
colour: blue
k3s: { url: "http://fog:6443", tokenFile: ./no-token }
`),
    ).toEqual(
      expect.arrayContaining([
        "colour: unknown field",
        expect.stringMatching(/^agent.device: must be a lowercase DNS label/),
        expect.stringMatching(/^agent.nats.servers\[0\]: must look like/),
        expect.stringMatching(/^credentials: .*nowhere\/ca.pem is missing/),
        'boot.i2c: must be one of auto, on, off, got "maybe"',
        expect.stringMatching(/^keepReleases: must be an integer ≥ 2/),
        "k3s.url: must look like https://server:6443 (the K3s server to join)",
        expect.stringMatching(/^k3s.tokenFile: a file with the server's node token/),
      ]),
    );
    expect(problems("credentials: ./bundle\n")).toEqual([
      "agent: is required (the agent's configuration, as in agent.yaml)",
    ]);
  });
});
