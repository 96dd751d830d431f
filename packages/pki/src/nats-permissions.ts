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
 * - nats: a server certificate only; its NATS user may do nothing.
 */
export function natsPermissions(identity: Identity): NatsPermissions {
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
      return { pub: { allow: [], deny: [">"] }, sub: { allow: [], deny: [">"] } };
  }
}
