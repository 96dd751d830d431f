import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { CommandFileError, loadCommandFile } from "./command-client.js";

describe("command files", () => {
  it("reads examples/agent/command.yaml into a DeviceCommand", () => {
    const cmd = loadCommandFile(
      resolve(import.meta.dirname, "../../../examples/agent/command.yaml"),
      "dev-pi-1",
    );
    expect(cmd.device).toBe("dev-pi-1");
    expect(cmd.token).toEqual({ term: 1, planVersion: 1 });
    expect(cmd.workloads.map((w) => `${w.app}/${w.service}:${w.ports[0]}`)).toEqual([
      "bookinfo/details:9081",
      "bookinfo/productpage:9080",
    ]);
    expect(cmd.workloads[1]!.calls).toEqual([{ service: "details", host: "127.0.0.1", port: 9081 }]);
  });

  it("says what is missing", () => {
    const d = tempDir("qonnect-cmdfile-");
    try {
      writeFileSync(join(d.path, "c.yaml"), "workloads: []\n");
      expect(() => loadCommandFile(join(d.path, "c.yaml"), "x")).toThrow(CommandFileError);
      expect(() => loadCommandFile(join(d.path, "c.yaml"), "x")).toThrow(
        /token: \{term, planVersion\} is required/,
      );
    } finally {
      d.remove();
    }
  });
});
