// A site behind a cable that can be pulled: a network namespace joined to the host by a veth pair (host end
// 10.78.N.1, site end 10.78.N.2). The region's leafnode listens on the host's loopback, so a relay on the host
// end of the veth forwards the site's NATS connections to it; the site's agents (and their workloads) run
// inside the namespace and reach NATS only over the veth. Cutting takes the site end down: the site's traffic
// vanishes without a reset, the way a cut uplink behaves; healing brings it back up.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { Inventory } from "@qonnect/core";
import type { NatsDeployment } from "@qonnect/natsd";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

/** Network namespaces cannot be made here (not root, no iproute2, or a sandbox forbids it). */
export class SiteNetUnavailableError extends Error {
  override name = "SiteNetUnavailableError";
  constructor(readonly detail: string) {
    super(
      `network namespaces are unavailable (${detail.trim().split("\n")[0]}); a site cut needs root and iproute2 (apt-get install -y iproute2)`,
    );
  }
}

export interface SiteNet {
  site: string;
  ns: string;
  /** The host end of the veth (the relay listens here). */
  hostAddress: string;
  /** The NATS URL the site's agents use: the relay on the host end of the veth (empty until `relayTo`). */
  natsUrl: string;
  /** Starts the relay from the host end of the veth to the region's leafnode on 127.0.0.1:`leafPort`. */
  relayTo(leafPort: number): Promise<void>;
  /** Command prefix that runs a process inside the site. */
  wrap: string[];
  cut(): void;
  heal(): void;
  remove(): Promise<void>;
}

/** A TCP relay on `host` (port chosen by the system) to 127.0.0.1:`toPort`. */
async function relay(
  host: string,
  toPort: number,
): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = createConnection({ host: "127.0.0.1", port: toPort });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === "object" && addr ? addr.port : 0, sockets };
}

/** Creates the site's namespace and its veth; `relayTo` then joins it to the region's leafnode. */
export async function createSiteNet(site: string): Promise<SiteNet> {
  const tag = randomBytes(2).toString("hex");
  const subnet = 16 + (Number.parseInt(tag, 16) % 200);
  const ns = `qsite${tag}`;
  const hostDev = `qsh${tag}`;
  const siteDev = `qsn${tag}`;
  const hostAddress = `10.78.${subnet}.1`;
  try {
    ip("netns", "add", ns);
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new SiteNetUnavailableError(e.stderr?.toString() || e.message);
  }
  const removeLinks = () => {
    for (const args of [
      ["netns", "del", ns],
      ["link", "del", hostDev],
    ])
      try {
        ip(...args);
      } catch {
        // already gone (the host end goes with the namespace)
      }
  };
  let r: Awaited<ReturnType<typeof relay>> | undefined;
  try {
    ip("link", "add", hostDev, "type", "veth", "peer", "name", siteDev);
    ip("link", "set", siteDev, "netns", ns);
    ip("addr", "add", `${hostAddress}/24`, "dev", hostDev);
    ip("link", "set", hostDev, "up");
    ip("-n", ns, "addr", "add", `10.78.${subnet}.2/24`, "dev", siteDev);
    ip("-n", ns, "link", "set", siteDev, "up");
    ip("-n", ns, "link", "set", "lo", "up");
  } catch (err) {
    removeLinks();
    const e = err as { stderr?: Buffer; message: string };
    throw new SiteNetUnavailableError(e.stderr?.toString() || e.message);
  }
  const net: SiteNet = {
    site,
    ns,
    hostAddress,
    natsUrl: "",
    async relayTo(leafPort) {
      r = await relay(hostAddress, leafPort);
      net.natsUrl = `nats://${hostAddress}:${r.port}`;
    },
    wrap: ["ip", "netns", "exec", ns],
    cut: () => ip("-n", ns, "link", "set", siteDev, "down"),
    heal: () => ip("-n", ns, "link", "set", siteDev, "up"),
    remove: async () => {
      const relayed = r;
      if (relayed) {
        for (const s of relayed.sockets) s.destroy();
        await new Promise<void>((resolve) => relayed.server.close(() => resolve()));
      }
      removeLinks();
    },
  };
  return net;
}

/**
 * The network namespaces of `sites` (made before the NATS servers' certificates, which must name the host
 * ends of their veths); stops at the first that cannot be made and says why in `problem` (those sites'
 * agents then run on the host). `relayTo` joins each to its region's leafnode once NATS runs.
 */
export async function createSiteNets(
  sites: string[],
  inventory: Inventory,
  say: (line: string) => void,
): Promise<{ nets: SiteNet[]; problem?: string }> {
  const nets: SiteNet[] = [];
  for (const site of sites) {
    if (!inventory.sites.some((x) => x.name === site)) continue;
    try {
      nets.push(await createSiteNet(site));
    } catch (err) {
      say(`site ${site} runs on the host: ${(err as Error).message}`);
      return { nets, problem: (err as Error).message };
    }
  }
  return { nets };
}

/** Starts each site's relay to its region's leafnode. */
export async function relaySiteNets(
  nets: Iterable<SiteNet>,
  inventory: Inventory,
  nats: NatsDeployment,
  say: (line: string) => void,
): Promise<void> {
  for (const net of nets) {
    const region = inventory.sites.find((x) => x.name === net.site)?.region;
    const leaf = region ? nats.leaves[region] : undefined;
    if (!leaf) continue;
    await net.relayTo(leaf.port);
    say(`site ${net.site}: network namespace ${net.ns}, NATS over its veth (${net.natsUrl})`);
  }
}
