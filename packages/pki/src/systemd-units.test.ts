// The hardened units of infra/systemd, checked with systemd's own analyser (systemd is not PID 1 here:
// `systemd-analyze security --offline=true` and `verify` read the unit files without a running manager).
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const dir = resolve(import.meta.dirname, "../../../infra/systemd");
const UNITS = ["qonnect-agent.service", "qonnect-fog.service", "qonnect-kb.service"];
const LEVELS = ["PERFECT", "SAFE", "OK", "MEDIUM", "EXPOSED", "UNSAFE"];

describe("infra/systemd units (systemd-analyze, offline)", () => {
  for (const unit of UNITS) {
    it(`${unit}: overall exposure OK or better, and systemd-analyze verify is clean`, () => {
      const out = execFileSync("systemd-analyze", ["security", "--offline=true", join(dir, unit)], {
        encoding: "utf8",
      });
      const m = /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(out);
      expect(m, out).not.toBeNull();
      expect(LEVELS.indexOf(m![2]!), `${unit}: ${m![1]} ${m![2]}`).toBeLessThanOrEqual(LEVELS.indexOf("OK"));
      const verify = spawnSync("systemd-analyze", ["verify", join(dir, unit)], { encoding: "utf8" });
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stderr.trim(), "verify warnings").toBe("");
    });
  }

  it("the units keep secrets out of reach: UMask 0077, keys through LoadCredential, no root", () => {
    for (const unit of UNITS) {
      const text = readFileSync(join(dir, unit), "utf8");
      expect(text).toMatch(/^UMask=0077$/m);
      expect(text).toMatch(/^NoNewPrivileges=yes$/m);
      expect(text).toMatch(/^ProtectSystem=strict$/m);
      expect(text).toMatch(/^LoadCredential=key\.pem:/m);
      expect(text).toMatch(/^User=qonnect-/m);
    }
  });
});
