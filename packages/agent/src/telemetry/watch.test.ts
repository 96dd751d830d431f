// `qonnect agent watch`'s core against a real nats-server that goes away and comes back on the same port.
// The publisher is the test itself (a stand-in agent), so that the sequence numbers it skips are exact.
import { telemetryV1 } from "@qonnect/proto";
import { startNatsServer } from "@qonnect/testkit";
import { connect } from "nats";
import { describe, expect, it, vi } from "vitest";
import { formatWatched, type WatchedMessage, watchedJson, watchTelemetry } from "./watch.js";

const sample = (seq: number) =>
  telemetryV1.DeviceTelemetry.encode(
    telemetryV1.DeviceTelemetry.fromPartial({ device: "pi-gap", region: "gaps", seq, tsMs: Date.now() }),
  ).finish();

describe("watchTelemetry", () => {
  it("reports sequence gaps, repeats, and the link dropping and coming back", async () => {
    let server = await startNatsServer({ jetstream: false });
    const seen: WatchedMessage[] = [];
    const watch = await watchTelemetry({ servers: [server.url], region: "gaps" }, (m) => seen.push(m));
    const publisher = await connect({
      servers: server.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    try {
      for (const seq of [1, 2, 5, 5]) publisher.publish("qonnect.gaps.telemetry.pi-gap", sample(seq));
      publisher.publish("qonnect.gaps.telemetry.pi-gap", new Uint8Array([0xff, 0xff])); // garbage: dropped
      await publisher.flush();
      await vi.waitFor(() => expect(seen.filter((m) => m.kind === "telemetry")).toHaveLength(4), {
        timeout: 10_000,
      });
      expect(seen.filter((m) => m.kind !== "telemetry")).toEqual([
        { kind: "gap", device: "pi-gap", fromSeq: 3, toSeq: 4, missing: 2 },
      ]);
      expect(seen.flatMap((m) => (m.kind === "telemetry" ? [m.repeat] : []))).toEqual([
        false,
        false,
        false,
        true,
      ]);

      const port = server.port;
      await server.stop();
      await vi.waitFor(() => expect(seen.map((m) => m.kind)).toContain("disconnected"), { timeout: 20_000 });
      server = await startNatsServer({ port, jetstream: false });
      await vi.waitFor(() => expect(seen.map((m) => m.kind)).toContain("reconnected"), { timeout: 30_000 });
      expect(seen.find((m) => m.kind === "reconnected")).toEqual({
        kind: "reconnected",
        server: `127.0.0.1:${port}`,
      });
      // what `qonnect agent watch` prints for them, for people and with --json
      const gap = seen.find((m) => m.kind === "gap")!;
      expect(formatWatched(gap)).toBe("gap: pi-gap seq 3..4 missing (2 samples)");
      expect(watchedJson(gap)).toEqual({ event: "gap", device: "pi-gap", fromSeq: 3, toSeq: 4, missing: 2 });
      expect(formatWatched(seen.find((m) => m.kind === "disconnected")!)).toMatch(
        /^disconnected from NATS \(127\.0\.0\.1:\d+\); reconnecting/,
      );
      expect(formatWatched(seen.filter((m) => m.kind === "telemetry")[3]!)).toMatch(/seq 5 .*\(repeat\)$/);
    } finally {
      await publisher.close();
      await watch.close();
      await server.stop();
    }
  }, 90_000);
});
