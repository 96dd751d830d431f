import { describe, expect, it } from "vitest";
import { failureText } from "./failure.js";

class DeviceRefusedError extends Error {
  override name = "DeviceRefusedError";
}

describe("failureText", () => {
  it("prints a named (expected) error as one line without a stack", () => {
    const text = failureText(
      new DeviceRefusedError("pi-a refused plan v2: stale token; check the leader"),
      {},
    );
    expect(text).toBe("error: pi-a refused plan v2: stale token; check the leader\n");
  });

  it("prints a bug (plain or built-in error) with its stack", () => {
    expect(failureText(new TypeError("x is undefined"), {})).toMatch(
      /^error: TypeError: x is undefined\n\s+at /,
    );
    expect(failureText(new Error("boom"), {})).toMatch(/\n\s+at /);
  });

  it("shows the stack of a named error too with QONNECT_DEBUG set", () => {
    expect(failureText(new DeviceRefusedError("nope"), { QONNECT_DEBUG: "1" })).toMatch(/\n\s+at /);
  });
});
