import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as loadYaml } from "yaml";
import { AgentConfigError, checkAgentConfig, loadAgentConfig, parseAgentConfig } from "./config.js";

const GOOD = `
device: pi5-a
region: eu-central
site: berlin-edge-1
tier: edge
labels: { camera: "true" }
nats: { servers: [nats://127.0.0.1:4222] }
sensors: emulate
runtime: process
power: { idleW: 2.7, maxW: 7.0 }
dataDir: /var/lib/qonnect
spool: { maxSize: 8Mi }
`;

function problems(text: string): string[] {
  try {
    parseAgentConfig(text, "agent.yaml");
  } catch (err) {
    if (err instanceof AgentConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("agent configuration", () => {
  it("reads the shunt resistance as shuntResistanceOhm, and still as its earlier key shuntOhms", () => {
    const withKey = (key: string) =>
      parseAgentConfig(
        GOOD.replace("sensors: emulate", `sensors: { mode: emulate, emulate: { ${key}: 0.05 } }`),
        "agent.yaml",
      ).sensors.emulate.shuntResistanceOhm;
    expect(withKey("shuntResistanceOhm")).toBe(0.05);
    expect(withKey("shuntOhms")).toBe(0.05);
  });

  it("checks a configuration built as an object exactly as the same YAML file", () => {
    expect(checkAgentConfig(loadYaml(GOOD), "/etc/qonnect/agent.yaml")).toEqual(
      parseAgentConfig(GOOD, "/etc/qonnect/agent.yaml"),
    );
    expect(() => checkAgentConfig({ device: "x" }, "virtual.yaml")).toThrow(AgentConfigError);
  });

  it("accepts a minimal file and fills in defaults", () => {
    const c = parseAgentConfig(GOOD, "/etc/qonnect/agent.yaml");
    expect(c.device).toBe("pi5-a");
    expect(c.samplePeriodMs).toBe(1000);
    expect(c.sensors.mode).toBe("emulate");
    expect(c.runtime.kind).toBe("process");
    expect(c.runtime.namespace).toBe("qonnect");
    expect(c.runtime.node).toBe("pi5-a");
    expect(c.spool.maxBytes).toBe(8 * 2 ** 20);
    expect(c.power).toEqual({ idleW: 2.7, maxW: 7, gamma: 1 });
    expect(c.labels).toEqual({ camera: "true" });
  });

  it("resolves relative paths against the file's folder", () => {
    const c = parseAgentConfig(GOOD.replace("/var/lib/qonnect", "./data"), "/etc/qonnect/agent.yaml");
    expect(c.dataDir).toBe("/etc/qonnect/data");
  });

  it("lists every problem at once, one line each", () => {
    const list = problems(`
device: Pi_5
tier: moon
nats: { servers: [localhost] }
sensors: { mode: explicit, devices: [{ kind: ina219, address: 999 }] }
runtime: { kind: docker }
power: { idleW: 9, maxW: 7 }
samplePeriodMs: 10
spool: { maxSize: lots }
extra: 1
`);
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^device: must be a lowercase DNS label/),
        "region: is required",
        "site: is required",
        expect.stringMatching(/^tier: must be one of cloud, fog, edge/),
        expect.stringMatching(/^nats.servers\[0\]: must look like nats:\/\/host:4222/),
        expect.stringMatching(/^sensors.devices\[0\].address: must be at most 119/),
        expect.stringMatching(/^runtime.kind: must be one of process, k3s/),
        expect.stringMatching(/^power.maxW: must be at least power.idleW/),
        expect.stringMatching(/^samplePeriodMs: must be at least 50/),
        expect.stringMatching(/^spool.maxSize: size must look like/),
        expect.stringMatching(/^extra: unknown field/),
        "dataDir: is required",
      ]),
    );
    expect(list).toHaveLength(12);
  });

  it("suggests the intended field for a misspelt one", () => {
    expect(problems(`${GOOD}samplePeriodMS: 500\n`)).toEqual([
      'samplePeriodMS: unknown field (did you mean "samplePeriodMs"?)',
    ]);
  });

  it("reports YAML syntax errors as one problem", () => {
    expect(problems("device: [unclosed")).toHaveLength(1);
  });

  it("names the file in the error message", () => {
    expect(() => parseAgentConfig("device: x", "site/agent.yaml")).toThrow(/^site\/agent.yaml: \d+ problem/);
  });

  it("accepts the example in examples/agent/agent.yaml", () => {
    const file = resolve(import.meta.dirname, "../../../../examples/agent/agent.yaml");
    const c = loadAgentConfig(file);
    expect(c).toMatchObject({ device: "dev-pi-1", tier: "edge", sensors: { mode: "emulate" } });
    expect(c.runtime.workDir).toBe(resolve(import.meta.dirname, "../../../.."));
  });
});
