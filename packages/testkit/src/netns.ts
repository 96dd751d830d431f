// A private network of Linux network namespaces for partition tests: one namespace per node and one for the
// client, point-to-point veth links between every pair, service addresses 10.213.0.<id>/32 on each
// namespace's loopback, routes over the links. Nothing is created in the host's namespace; taking a link down
// silently drops the traffic between two namespaces (no RST), like a real partition.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

/** Network namespaces cannot be created here (not root, no iproute2, or a sandbox forbids it). */
export class NetnsUnavailableError extends Error {
  override name = "NetnsUnavailableError";
  constructor(readonly detail: string) {
    super(
      `network namespaces are unavailable (${detail.trim()}); the partition test needs root and iproute2 ` +
        "(apt-get install -y iproute2) on a kernel that allows `ip netns add`",
    );
  }
}

export const CLIENT_ID = 100;

export interface PrivateNet {
  /** Namespace of node `id` (or of the client, CLIENT_ID). */
  ns(id: number): string;
  address(id: number): string;
  /** Cuts (routes into a black hole, both ways) or restores the link between two members or a member and the client. */
  setLink(a: number, b: number, up: boolean): void;
  remove(): void;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

export function createPrivateNet(nodeIds: number[]): PrivateNet {
  const prefix = `qr${randomBytes(3).toString("hex")}`;
  const ns = (id: number) => `${prefix}-${id === CLIENT_ID ? "cl" : `n${id}`}`;
  const address = (id: number) => `10.213.0.${id}`;
  const dev = (to: number) => (to === CLIENT_ID ? "qcl" : `qn${to}`);
  const all = [...nodeIds, CLIENT_ID];
  const created: string[] = [];
  const remove = () => {
    for (const n of created.splice(0)) {
      try {
        ip("netns", "del", n);
      } catch {
        // already gone
      }
    }
  };
  const route = (x: number, y: number, via: string) =>
    ip("-n", ns(x), "route", "replace", `${address(y)}/32`, "dev", via, "src", address(x));
  try {
    for (const id of all) {
      ip("netns", "add", ns(id));
      created.push(ns(id));
      ip("-n", ns(id), "link", "set", "lo", "up");
      ip("-n", ns(id), "addr", "add", `${address(id)}/32`, "dev", "lo");
      // the black hole: a veth whose other end stays down; what is routed into it vanishes without an error
      ip("-n", ns(id), "link", "add", "qblk", "type", "veth", "peer", "name", "qblk-peer");
      ip("-n", ns(id), "link", "set", "qblk", "up");
    }
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++) {
        const a = all[i]!;
        const b = all[j]!;
        ip(
          "link",
          "add",
          "name",
          dev(b),
          "netns",
          ns(a),
          "type",
          "veth",
          "peer",
          "name",
          dev(a),
          "netns",
          ns(b),
        );
        ip("-n", ns(a), "link", "set", dev(b), "up");
        ip("-n", ns(b), "link", "set", dev(a), "up");
        route(a, b, dev(b));
        route(b, a, dev(a));
        // a fixed neighbour entry on the black hole, so that no ARP failure ever turns into an error
        ip(
          "-n",
          ns(a),
          "neigh",
          "replace",
          address(b),
          "lladdr",
          "02:00:00:00:00:01",
          "dev",
          "qblk",
          "nud",
          "permanent",
        );
        ip(
          "-n",
          ns(b),
          "neigh",
          "replace",
          address(a),
          "lladdr",
          "02:00:00:00:00:01",
          "dev",
          "qblk",
          "nud",
          "permanent",
        );
      }
  } catch (err) {
    remove();
    const e = err as { stderr?: Buffer; message: string };
    throw new NetnsUnavailableError(e.stderr?.toString() || e.message);
  }
  return {
    ns,
    address,
    setLink(a, b, up) {
      route(a, b, up ? dev(b) : "qblk");
      route(b, a, up ? dev(a) : "qblk");
    },
    remove,
  };
}
