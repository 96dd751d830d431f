import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIRMWARE_SCRIPTS_DIR } from "./firmware-scripts.js";
import { parseProbe } from "./probe.js";

describe("firmware-scripts/", () => {
  it("every script is shellcheck-clean as POSIX sh (Debian's shellcheck), and so is the test boards' stand-in", () => {
    const scripts = readdirSync(FIRMWARE_SCRIPTS_DIR)
      .filter((f) => f.endsWith(".sh"))
      .map((f) => join(FIRMWARE_SCRIPTS_DIR, f));
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    scripts.push(join(import.meta.dirname, "testdata/standin-supervisor.sh"));
    const out = execFileSync(
      "sh",
      ["-c", `shellcheck -s sh -S style "$@" 2>&1; echo "exit $?"`, "sh", ...scripts],
      {
        encoding: "utf8",
      },
    );
    expect(out.trim()).toBe("exit 0");
  });

  it("probe runs as plain sh on this (x86-64, non-Pi) machine and parses", () => {
    const out = execFileSync(
      "sh",
      [join(FIRMWARE_SCRIPTS_DIR, "qonnect-board.sh"), "probe", "0.1.0-x", "/etc/hostname"],
      {
        encoding: "utf8",
        env: { ...process.env, QONNECT_PREFIX: "/nonexistent/qonnect", QONNECT_SERVICE_MANAGER: "false" },
      },
    );
    const facts = parseProbe(out);
    expect(facts).toMatchObject({
      arch: "amd64",
      current: "none",
      releases: [],
      release: "missing",
      serviceActive: false,
    });
    expect(facts.files.get("/etc/hostname")?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(facts.serviceManager).toBe("standin:false");
  });

  it("usage errors say what the script does", () => {
    const r = (() => {
      try {
        execFileSync("sh", [join(FIRMWARE_SCRIPTS_DIR, "qonnect-board.sh"), "bogus"], { stdio: "pipe" });
        return "";
      } catch (err) {
        return String((err as { stderr: Buffer }).stderr);
      }
    })();
    expect(r).toMatch(/usage: qonnect-board.sh probe\|sums\|apply\|rollback\|firstrun-cleanup/);
  });
});
