// A site behind a real network namespace: a process inside reaches a loopback server of the host through the
// relay on the veth; a cut makes the connection fail (no route, nothing answers); healing restores it.
import { execFile, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { createSiteNet, type SiteNet } from "./site-net.js";

/**
 * Connects from inside the namespace to `url`, sends "ping", prints what came back (or the error). Async: the
 * relay runs in this very process and must keep serving meanwhile.
 */
function fromInside(net: SiteNet, url: string): Promise<string> {
  const [host, port] = url.replace("nats://", "").split(":");
  const script = `const s=require("node:net").connect({host:${JSON.stringify(host)},port:${port}},()=>s.write("ping"));s.setTimeout(1500,()=>{console.log("timeout");process.exit(0)});s.on("data",d=>{console.log("got "+d);process.exit(0)});s.on("error",e=>{console.log("error "+e.code);process.exit(0)})`;
  return new Promise((resolve) =>
    execFile(
      net.wrap[0] ?? "ip",
      [...net.wrap.slice(1), process.execPath, "-e", script],
      { encoding: "utf8", timeout: 20_000 },
      (_err, stdout, stderr) => resolve(`${stdout}${stderr}`.trim()),
    ),
  );
}

describe("site network namespace (real netns, veth and relay)", () => {
  const server = createServer((s) => s.on("data", (d) => s.write(`pong ${d}`)));
  let net: SiteNet | undefined;
  afterAll(async () => {
    await net?.remove();
    server.close();
  });

  it("reaches the host's loopback server over the veth, loses it when cut, gets it back when healed", async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    net = await createSiteNet("test-site");
    await net.relayTo(port);
    expect(await fromInside(net, net.natsUrl)).toBe("got pong ping");
    // the host's loopback itself is not reachable from inside: the site has its own
    expect(await fromInside(net, `nats://127.0.0.1:${port}`)).toMatch(/error ECONNREFUSED/);
    net.cut();
    expect(await fromInside(net, net.natsUrl)).toMatch(/timeout|error (ENETUNREACH|EHOSTUNREACH)/);
    net.heal();
    expect(await fromInside(net, net.natsUrl)).toBe("got pong ping");
    const ns = net.ns;
    await net.remove();
    net = undefined;
    const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    expect(list).not.toContain(ns);
  }, 60_000);
});
