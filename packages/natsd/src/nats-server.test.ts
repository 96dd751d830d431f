import { connect, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, listeningPort, startNatsServer } from "./nats-server.js";

/** The INFO banner a NATS server sends a new client. */
function banner(port: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once("error", reject);
  });
}

/** Resolves once a server listens on `port` and has closed again; rejects if the port cannot be bound. */
function listenOn(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
  });
}

describe("startNatsServer (real nats-server)", () => {
  it("listens on the loopback port it chose itself, keeps its log, and stops by PID", async () => {
    const server = await startNatsServer();
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(await banner(server.port)).toMatch(/^INFO \{.*"jetstream":true/);
    expect(listeningPort(server.log())).toBe(server.port);
    await server.stop();
    expect(() => process.kill(server.pid, 0)).toThrow();
    expect(server.log()).toContain("Server is ready");
  });

  it("two servers started at once get distinct ports and both answer", async () => {
    const [a, b] = await Promise.all([
      startNatsServer({ jetstream: false }),
      startNatsServer({ jetstream: false }),
    ]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(await banner(a.port)).toMatch(/^INFO /);
      expect(await banner(b.port)).toMatch(/^INFO /);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("restarts on the same port when asked (outage tests)", async () => {
    const first = await startNatsServer({ jetstream: false });
    await first.stop();
    const second = await startNatsServer({ port: first.port, jetstream: false });
    try {
      expect(second.port).toBe(first.port);
      expect(await banner(second.port)).toMatch(/^INFO /);
    } finally {
      await second.stop();
    }
  });

  it("freePort returns a port a server can then listen on", async () => {
    const port = await freePort();
    await expect(listenOn(port)).resolves.toBeUndefined();
  });

  it("freePort with a range returns a usable port inside the range", async () => {
    const port = await freePort({ fromPort: 20_000, toPort: 30_000 });
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(30_000);
    await expect(listenOn(port)).resolves.toBeUndefined();
  });
});
