// A site behind a cable that can be pulled: a network namespace joined to the host by a veth pair (host end
// 10.77.N.1, site end 10.77.N.2). The region's nats-server listens on the host end, so processes on the host
// reach it locally and the site's agents reach it over the veth. Cutting takes the site end down: the
// site's traffic vanishes without a reset, the way a cut uplink behaves; healing brings it back up.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type NatsServer } from "@qonnect/testkit";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

export interface SiteNet {
  ns: string;
  hostAddress: string;
  /** Command prefix that runs a process inside the site. */
  wrap: string[];
  cut(): void;
  heal(): void;
  remove(): void;
}

export function createSiteNet(): SiteNet {
  const tag = randomBytes(2).toString("hex");
  const subnet = 16 + (Number.parseInt(tag, 16) % 200);
  const ns = `qfs${tag}`;
  const hostDev = `qfh${tag}`;
  const siteDev = `qfn${tag}`;
  const hostAddress = `10.77.${subnet}.1`;
  ip("netns", "add", ns);
  try {
    ip("link", "add", hostDev, "type", "veth", "peer", "name", siteDev);
    ip("link", "set", siteDev, "netns", ns);
    ip("addr", "add", `${hostAddress}/24`, "dev", hostDev);
    ip("link", "set", hostDev, "up");
    ip("-n", ns, "addr", "add", `10.77.${subnet}.2/24`, "dev", siteDev);
    ip("-n", ns, "link", "set", siteDev, "up");
    ip("-n", ns, "link", "set", "lo", "up");
  } catch (err) {
    ip("netns", "del", ns);
    throw err;
  }
  return {
    ns,
    hostAddress,
    wrap: ["ip", "netns", "exec", ns],
    cut: () => ip("-n", ns, "link", "set", siteDev, "down"),
    heal: () => ip("-n", ns, "link", "set", siteDev, "up"),
    remove: () => {
      try {
        ip("netns", "del", ns);
      } catch {
        // gone
      }
      try {
        ip("link", "del", hostDev);
      } catch {
        // went with the namespace
      }
    },
  };
}

/** nats-server on `host` (a veth address), core NATS only. */
export async function startNatsOn(host: string): Promise<{ server: NatsServer; url: string }> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "qonnect-nats-"));
  const child: ChildProcess = spawn("nats-server", ["-a", host, "-p", String(port)], { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host, port }, () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = `nats://${host}:${port}`;
  return {
    url,
    server: {
      url,
      port,
      pid: child.pid ?? -1,
      storeDir,
      logFile: "",
      log: () => "(not kept: this server runs in a network namespace started by site-net)",
      async stop() {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGKILL");
          await exited;
        }
        rmSync(storeDir, { recursive: true, force: true });
      },
    },
  };
}
