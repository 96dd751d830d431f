import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AgentUnreachableError, fetchAgentStatus } from "./status-client.js";

describe("fetchAgentStatus", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function serve(status: number, body: string): Promise<string> {
    server = createServer((req, res) => {
      res.writeHead(req.url === "/status" ? status : 404, { "content-type": "application/json" });
      res.end(body);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("reads GET /status", async () => {
    const url = await serve(200, JSON.stringify({ device: "d1", pid: 42 }));
    expect(await fetchAgentStatus(`${url}/`)).toEqual({ device: "d1", pid: 42 });
  });

  it("reports an error status or a closed port as unreachable", async () => {
    const url = await serve(500, "{}");
    await expect(fetchAgentStatus(url)).rejects.toBeInstanceOf(AgentUnreachableError);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    await expect(fetchAgentStatus(url)).rejects.toThrow(
      /no agent answers at http:\/\/127\.0\.0\.1:\d+\/status/,
    );
  });
});
