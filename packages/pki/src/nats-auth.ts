import {
  Algorithms,
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  fromSeed,
  type KeyPair,
} from "nats-jwt";
import { type Identity, spiffeUri } from "./identity.js";
import { leafnodeServerId, natsPermissions } from "./nats-permissions.js";

const enc = new TextEncoder();
const V2 = { algorithm: Algorithms.v2 };

/** The seeds of the deployment's NATS operator, application account and system account. */
export interface NatsKeys {
  operatorSeed: string;
  accountSeed: string;
  systemSeed: string;
}

export function newNatsKeys(): NatsKeys {
  const seed = (kp: KeyPair) => new TextDecoder().decode(kp.getSeed());
  return {
    operatorSeed: seed(createOperator()),
    accountSeed: seed(createAccount()),
    systemSeed: seed(createAccount()),
  };
}

const kp = (seed: string): KeyPair => fromSeed(enc.encode(seed));
export const publicKeyOf = (seed: string): string => kp(seed).getPublicKey();

/** Per-account limits: payloads up to 1 MiB, JetStream on (operator mode needs it granted explicitly). */
export const ACCOUNT_LIMITS = {
  payload: 1024 * 1024,
  subs: -1,
  conn: -1,
  data: -1,
  imports: -1,
  exports: -1,
  leaf: -1,
  wildcards: true,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
};

export interface NatsAccountJwts {
  operatorJwt: string;
  accountJwt: string;
  systemJwt: string;
  accountKey: string;
  systemKey: string;
}

/**
 * The operator, the application account `QONNECT` (with `revocations`: user key → unix seconds; a user JWT
 * issued at or before that second is refused) and the system account `SYS`, which exports the application
 * account's connect/disconnect events; `QONNECT` imports them under the prefix `qonnect.events.connect.` and
 * `qonnect.events.disconnect.` (nats-server 2.9 prepends an import's `to`), e.g.
 * `qonnect.events.disconnect.$SYS.ACCOUNT.<account>.DISCONNECT`.
 */
export async function accountJwts(
  keys: NatsKeys,
  revocations: Record<string, number>,
): Promise<NatsAccountJwts> {
  const operator = kp(keys.operatorSeed);
  const accountKey = publicKeyOf(keys.accountSeed);
  const systemKey = publicKeyOf(keys.systemSeed);
  const operatorJwt = await encodeOperator("qonnect", operator, { system_account: systemKey }, V2);
  const events = (kind: "CONNECT" | "DISCONNECT") => `$SYS.ACCOUNT.${accountKey}.${kind}`;
  const systemJwt = await encodeAccount(
    "SYS",
    kp(keys.systemSeed),
    {
      // without limits, a v2 account JWT allows zero exports and imports
      limits: {
        subs: -1,
        conn: -1,
        data: -1,
        payload: -1,
        imports: -1,
        exports: -1,
        leaf: -1,
        wildcards: true,
      },
      exports: [
        { name: "connect", subject: events("CONNECT"), type: "stream" },
        { name: "disconnect", subject: events("DISCONNECT"), type: "stream" },
      ],
    },
    { ...V2, signer: operator },
  );
  const accountJwt = await encodeAccount(
    "QONNECT",
    kp(keys.accountSeed),
    {
      limits: ACCOUNT_LIMITS,
      revocations,
      imports: [
        {
          name: "connect",
          subject: events("CONNECT"),
          account: systemKey,
          to: "qonnect.events.connect",
          type: "stream",
        },
        {
          name: "disconnect",
          subject: events("DISCONNECT"),
          account: systemKey,
          to: "qonnect.events.disconnect",
          type: "stream",
        },
      ],
    },
    { ...V2, signer: operator },
  );
  return { operatorJwt, accountJwt, systemJwt, accountKey, systemKey };
}

/** A user of the QONNECT account for `identity`, expiring with its certificate; returns the creds file text. */
export async function userCreds(
  keys: NatsKeys,
  identity: Identity,
  options: { notAfter: Date; regions?: string[] },
): Promise<{ creds: string; userKey: string }> {
  const user = createUser() as KeyPair;
  const perms = natsPermissions(identity, options.regions ? { regions: options.regions } : {});
  const jwt = await encodeUser(
    spiffeUri(identity),
    user,
    kp(keys.accountSeed),
    {
      pub: perms.pub,
      sub: perms.sub,
      ...(perms.resp ? { resp: perms.resp } : {}),
      bearer_token: false,
      payload: ACCOUNT_LIMITS.payload,
    },
    { ...V2, exp: Math.floor(options.notAfter.getTime() / 1000) },
  );
  return { creds: new TextDecoder().decode(fmtCreds(jwt, user)), userKey: user.getPublicKey() };
}

/**
 * The user a region's leafnode server links to the cloud cluster with (leafnode remote `credentials`): the
 * NATS user of its `nats` identity `leaf-<region>` (leafnodeLinkPermissions: its region's subjects and the
 * telemetry stream's sourcing only). `enroll` issues it with the server's certificate and records it in
 * issued.json, so `qonnect revoke nats leaf-<region> --region <region>` cuts the link.
 */
export async function leafnodeLinkCreds(
  keys: NatsKeys,
  region: string,
  options: { notAfter: Date; regions?: string[] },
): Promise<{ creds: string; userKey: string }> {
  return userCreds(keys, { region, role: "nats", id: leafnodeServerId(region) }, options);
}
