import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, startNatsServer } from "./nats-server.js";

describe("startNatsServer (real nats-server)", () => {
  it("listens on a free loopback port and stops by PID", async () => {
    const server = await startNatsServer();
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    const banner = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, "127.0.0.1");
      socket.once("data", (data) => {
        socket.destroy();
        resolve(data.toString());
      });
      socket.once("error", reject);
    });
    expect(banner).toMatch(/^INFO \{.*"jetstream":true/);
    await server.stop();
    expect(() => process.kill(server.pid, 0)).toThrow();
  });

  it("freePort returns distinct usable ports", async () => {
    const a = await freePort();
    expect(a).toBeGreaterThan(1024);
  });
});
