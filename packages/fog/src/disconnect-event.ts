// The NATS server's disconnect advisories (io.nats.server.advisory.v1.client_disconnect), which the system
// account exports into the application account as `qonnect.events.disconnect.>` (@qonnect/pki nats-auth,
// DESIGN.md §10): which device of this region lost its connection, and why. A device is named by its user's
// JWT name (`spiffe://qonnect/<region>/device/<id>`, the `name_tag`) or, on a server without JWT accounts, by
// its agent's connection name (`qonnect-agent-<id>`). Anything else is not a device of ours: undefined.

export const DISCONNECT_EVENTS = "qonnect.events.disconnect.>";

export interface DeviceDisconnect {
  device: string;
  /** The server's reason ("Client Closed", "Stale Connection", ...). */
  why: string;
}

interface Advisory {
  type?: unknown;
  reason?: unknown;
  client?: { name?: unknown; name_tag?: unknown };
}

const SPIFFE = /^spiffe:\/\/qonnect\/([^/]+)\/device\/([^/]+)$/;
const AGENT = /^qonnect-agent-(.+)$/;

export function deviceDisconnect(data: Uint8Array, region: string): DeviceDisconnect | undefined {
  let a: Advisory;
  try {
    a = JSON.parse(new TextDecoder().decode(data)) as Advisory;
  } catch {
    return undefined;
  }
  if (typeof a !== "object" || a === null || a.type !== "io.nats.server.advisory.v1.client_disconnect")
    return undefined;
  const why = typeof a.reason === "string" && a.reason ? a.reason : "disconnected";
  const tag = a.client?.name_tag;
  if (typeof tag === "string" && tag) {
    const m = SPIFFE.exec(tag);
    return m && m[1] === region ? { device: m[2]!, why } : undefined;
  }
  const name = a.client?.name;
  const m = typeof name === "string" ? AGENT.exec(name) : null;
  return m ? { device: m[1]!, why } : undefined;
}
