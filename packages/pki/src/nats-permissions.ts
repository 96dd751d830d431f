import type { Identity } from "./identity.js";

/** Publish/subscribe permissions of one NATS user, in the shape of a user JWT's claims. */
export interface NatsPermissions {
  pub: { allow: string[]; deny: string[] };
  sub: { allow: string[]; deny: string[] };
  /** allow_responses: publish to the reply subject of a received request, at most `max` times. */
  resp?: { max: number; ttl: number };
}

/** The subjects of DESIGN.md §5. */
export const subjects = {
  telemetry: (region: string, device: string) => `qonnect.${region}.telemetry.${device}`,
  register: (region: string, device: string) => `qonnect.${region}.register.${device}`,
  command: (region: string, device: string) => `qonnect.${region}.cmd.${device}`,
  summary: (region: string) => `qonnect.${region}.summary`,
} as const;

/** The JetStream stream that keeps a region's telemetry (fog leads may read only their region's). */
export function telemetryStreamName(region: string): string {
  return `QONNECT_TELEMETRY_${region.replace(/-/g, "_").toUpperCase()}`;
}

/**
 * The reply-inbox prefix each identity must connect with (nats.js `inboxPrefix`): its requests' replies can
 * only reach subjects under it, so no identity can read another's replies.
 */
export function natsInboxPrefix(identity: Identity): string {
  return `_INBOX.${identity.region}.${identity.role}.${identity.id}`;
}

function jsRead(stream: string): string[] {
  return [
    "$JS.API.INFO",
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    `$JS.ACK.${stream}.>`,
  ];
}

/**
 * Least privilege per role (DESIGN.md §10):
 * - device: publishes only its own telemetry and registration, receives only its own commands and answers
 *   each once (allow_responses max 1); sees nothing of other devices or regions;
 * - fog: reads its region's telemetry, registrations and stream, commands its region's devices, publishes the
 *   region summary, receives the account's connect/disconnect events (imported from the system account);
 * - kb: reads every region's summaries and telemetry and manages the streams; never commands a device;
 * - admin: observes everything, publishes nothing (the demo's `observer` credentials);
 * - nats: a server certificate only; its NATS user may do nothing, except a leafnode server's
 *   (`leaf-<region>`), which is its region's link to the cloud (leafnodeLinkPermissions).
 */
export function natsPermissions(
  identity: Identity,
  deployment: { regions?: string[] } = {},
): NatsPermissions {
  const { region, id } = identity;
  const inbox = `${natsInboxPrefix(identity)}.>`;
  switch (identity.role) {
    case "device":
      return {
        pub: { allow: [subjects.telemetry(region, id), subjects.register(region, id)], deny: [] },
        sub: { allow: [subjects.command(region, id), inbox], deny: [] },
        resp: { max: 1, ttl: 0 },
      };
    case "fog":
      return {
        pub: {
          allow: [
            subjects.command(region, "*"),
            subjects.summary(region),
            ...jsRead(telemetryStreamName(region)),
            // the region's fog leads own the region's telemetry stream (they create it idempotently)
            `$JS.API.STREAM.CREATE.${telemetryStreamName(region)}`,
            `$JS.API.STREAM.UPDATE.${telemetryStreamName(region)}`,
          ],
          deny: [],
        },
        sub: {
          allow: [
            subjects.telemetry(region, "*"),
            subjects.register(region, "*"),
            subjects.summary(region),
            "qonnect.events.connect.>",
            "qonnect.events.disconnect.>",
            inbox,
          ],
          deny: [],
        },
      };
    case "kb":
      return {
        pub: { allow: ["$JS.API.>", "$JS.ACK.>"], deny: ["qonnect.>"] },
        sub: {
          allow: ["qonnect.*.summary", "qonnect.*.telemetry.*", "qonnect.*.register.*", inbox],
          deny: [],
        },
      };
    case "admin":
      return { pub: { allow: [], deny: [">"] }, sub: { allow: [">"], deny: [] } };
    case "nats":
      if (id === leafnodeServerId(region)) return leafnodeLinkPermissions(region, deployment.regions);
      return { pub: { allow: [], deny: [">"] }, sub: { allow: [], deny: [">"] } };
  }
}

/** The `nats` identity of a region's leafnode server: its NATS user is the region's link to the cloud. */
export function leafnodeServerId(region: string): string {
  return `leaf-${region}`;
}

/**
 * The user a region's leafnode server links to the cloud cluster with, confined to its own region. Seen from
 * the cloud, `pub` is what the link may send into the cloud, and also which of the cloud's subscriptions it
 * is told about; `sub` is what it may receive from the cloud:
 * - the region's subjects `qonnect.<region>.>` both ways, except device commands into the cloud;
 * - `qonnect.*.{summary,telemetry.*,register.*}` out, so the Knowledge Base's wildcard subscriptions reach
 *   the region (nats-server forwards a subscription only when it is within `pub`), with every other region
 *   the deployment knows (`otherRegions`) denied: the link cannot speak for another region;
 * - the cloud's JetStream reaching the region's domain: `$JS.<region>.API.>` requests in, their replies
 *   (`$JSC.R.>`) out; the history stream's source consumer delivers on `$JS.S.>` and is flow-controlled on
 *   `$JS.FC.<region stream>.>`.
 * Nothing of another region comes in: no other region's subjects, JetStream domain or stream, and no
 * connect/disconnect events of other servers.
 */
export function leafnodeLinkPermissions(region: string, otherRegions: string[] = []): NatsPermissions {
  const stream = telemetryStreamName(region);
  return {
    pub: {
      allow: [
        `qonnect.${region}.>`,
        subjects.summary("*"),
        subjects.telemetry("*", "*"),
        subjects.register("*", "*"),
        "$JSC.R.>",
        "$JS.S.>",
      ],
      deny: [
        subjects.command("*", ">"),
        ...otherRegions.filter((r) => r !== region).map((r) => `qonnect.${r}.>`),
      ],
    },
    sub: {
      allow: [`qonnect.${region}.>`, `$JS.${region}.API.>`, `$JS.FC.${stream}.>`],
      deny: [],
    },
  };
}
