import { telemetryStreamName } from "@qonnect/pki";
import { type NatsServer, startNatsServer, waitFor } from "@qonnect/testkit";
import { connect } from "nats";
import { afterEach, describe, it } from "vitest";
import { keepTelemetryStream } from "./telemetry-stream.js";

const quiet = { info: () => {}, warn: () => {} };

describe("the fog lead keeps its region's telemetry stream (real nats-server)", () => {
  let server: NatsServer | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  it("creates it, and creates it again after reconnecting to a server whose store is new", async () => {
    server = await startNatsServer();
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const keeper = keepTelemetryStream(nc, "eu-west", quiet, 200);
    const exists = async (url: string) => {
      const c = await connect({ servers: url });
      try {
        const info = await (await c.jetstreamManager()).streams.info(telemetryStreamName("eu-west"));
        return info.config.subjects?.includes("qonnect.eu-west.telemetry.*") ?? false;
      } catch {
        return false;
      } finally {
        await c.close();
      }
    };
    try {
      await waitFor(() => exists(server!.url), { what: "the stream" });
      const port = server.port;
      await server.stop();
      server = await startNatsServer({ port });
      await waitFor(() => exists(server!.url), { what: "the stream again after the reconnect" });
    } finally {
      keeper.close();
      await nc.close();
    }
  });
});
