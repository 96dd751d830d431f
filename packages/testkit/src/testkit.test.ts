import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ManualClock } from "./manual-clock.js";
import { startNatsServer } from "./nats.js";
import { SysfsTree } from "./sysfs-tree.js";
import { useTempDirs } from "./temp-dir.js";
import { waitFor } from "./wait-for.js";

describe("waitFor", () => {
  it("returns once the condition holds, counting a throw as not yet", async () => {
    let calls = 0;
    await waitFor(
      () => {
        calls++;
        if (calls < 3) throw new Error("not yet");
        return true;
      },
      { what: "the third call", intervalMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it("names what it waited for, and the last error, when it gives up", async () => {
    await expect(
      waitFor(
        () => {
          throw new Error("still down");
        },
        { what: "the server", timeoutMs: 20, intervalMs: 5 },
      ),
    ).rejects.toThrow(/waiting for the server \(last error: still down\)/);
  });
});

describe("useTempDirs", () => {
  const dir = useTempDirs("qonnect-testkit-");
  let first = "";
  it("makes a fresh directory per call", () => {
    first = dir();
    expect(existsSync(first)).toBe(true);
    expect(dir()).not.toBe(first);
  });
  it("removed the previous test's directories", () => {
    expect(first).not.toBe("");
    expect(existsSync(first)).toBe(false);
  });
});

describe("ManualClock and SysfsTree", () => {
  const dir = useTempDirs("qonnect-testkit-");
  it("moves only when told", async () => {
    const clock = new ManualClock(1000);
    clock.advance(5);
    await clock.delay(10);
    expect(clock.nowMs()).toBe(1015);
  });
  it("writes attributes with a newline and class links relative to /sys/devices", () => {
    const root = dir();
    new SysfsTree(root).hwmon("/sys/devices/platform/x", "hwmon3", { name: "ina219" });
    expect(existsSync(`${root}/sys/class/hwmon/hwmon3/name`)).toBe(true);
  });
});

describe("startNatsServer (test kit)", () => {
  it("keeps the server's log readable until it stops", async () => {
    const server = await startNatsServer({ jetstream: false });
    try {
      expect(server.log()).toContain(`:${server.port}`);
    } finally {
      await server.stop();
    }
  });
});
