import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { tempDir } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadBundle } from "./bundle.js";
import { enroll } from "./enroll.js";
import {
  authorizePeer,
  grpcClientCredentials,
  grpcServerCredentials,
  type MutualTlsServerCredentials,
} from "./grpc-credentials.js";
import { Pki } from "./pki-store.js";
import { normaliseSerial, RevocationList } from "./revocation-list.js";
import { RotatingClientCredentials } from "./rotating-client-credentials.js";

// one unary method whose answer is the caller's identity as the server saw it in the certificate
const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
const service: grpc.ServiceDefinition = {
  whoami: {
    path: "/test.Who/WhoAmI",
    requestStream: false,
    responseStream: false,
    requestSerialize: raw.serialize,
    requestDeserialize: raw.deserialize,
    responseSerialize: raw.serialize,
    responseDeserialize: raw.deserialize,
  },
};
const Client = grpc.makeGenericClientConstructor(service, "Who");

describe("gRPC mutual TLS from bundles (real sockets)", () => {
  const tmp = tempDir("qonnect-pki-grpc-");
  let pki: Pki;
  let server: grpc.Server;
  let creds: MutualTlsServerCredentials;
  let address = "";
  let revoked: RevocationList;
  const clients: grpc.Client[] = [];

  const bundle = async (
    region: string,
    role: "fog" | "kb" | "device" | "admin",
    id: string,
    hosts?: string[],
  ) => {
    const dir = join(tmp.path, `${region}-${role}-${id}`);
    await enroll(pki, { region, role, id }, dir, { nowMs: Date.now(), hosts });
    return dir;
  };
  const call = (client: grpc.Client): Promise<string> =>
    new Promise((resolve, reject) =>
      (
        client as unknown as Record<string, (r: Buffer, cb: (e: Error | null, b?: Buffer) => void) => void>
      ).whoami?.(Buffer.from(""), (err, res) => (err ? reject(err) : resolve(String(res)))),
    );
  const dial = (dir: string, expect?: (p: { role: string }) => boolean) => {
    const c = new Client(address, grpcClientCredentials(loadBundle(dir), { expectServer: expect }));
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    pki = await Pki.init(join(tmp.path, "pki"), { nowMs: Date.now() });
    const serverDir = await bundle("eu", "fog", "fog-1");
    copyFileSync(pki.files.crl, join(serverDir, "crl.pem"));
    revoked = new RevocationList(join(serverDir, "crl.pem"), Date.now, 0);
    server = new grpc.Server();
    server.addService(service, {
      whoami: (c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const peer = authorizePeer(c, (p) => p.role !== "device", { revoked });
        if (peer instanceof Error) return cb({ code: peer.code, details: peer.message });
        cb(null, Buffer.from(`${peer.region}/${peer.role}/${peer.id}`));
      },
    });
    creds = grpcServerCredentials(loadBundle(serverDir), { pollMs: 100 });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    creds.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
    tmp.remove();
  });

  it("the server reads the caller's identity from its certificate and authorises by role", async () => {
    const kb = dial(await bundle("cloud", "kb", "kb"), (p) => p.role === "fog");
    expect(await call(kb)).toBe("cloud/kb/kb");
    const dev = dial(await bundle("eu", "device", "d1"), (p) => p.role === "fog");
    await expect(call(dev)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
  });

  it("refuses a client without a certificate, one of another CA, and a server of the wrong role", async () => {
    const caOnly = new Client(address, grpc.credentials.createSsl(readFileSync(pki.files.caCert)));
    clients.push(caOnly);
    await expect(call(caOnly)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const other = await Pki.init(join(tmp.path, "other-pki"), { nowMs: Date.now() });
    const strangerDir = join(tmp.path, "stranger");
    await enroll(other, { region: "eu", role: "kb", id: "kb" }, strangerDir, { nowMs: Date.now() });
    const stranger = dial(strangerDir, () => true);
    await expect(call(stranger)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const wrongRole = dial(await bundle("cloud", "kb", "kb-2"), (p) => p.role === "kb");
    await expect(call(wrongRole)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it("a revoked certificate is refused on its open connection and on new ones, without a restart", async () => {
    const dir = await bundle("cloud", "admin", "alice");
    const alice = dial(dir, (p) => p.role === "fog");
    expect(await call(alice)).toBe("cloud/admin/alice");
    const record = pki.issued().find((r) => r.id === "alice");
    await pki.revoke((r) => r.serial === record?.serial, Date.now());
    copyFileSync(pki.files.crl, join(tmp.path, "eu-fog-fog-1", "crl.pem"));
    await expect(call(alice)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    // a new connection is refused in the handshake once the server reloaded the CRL
    await vi.waitFor(
      async () => {
        const again = dial(dir, (p) => p.role === "fog");
        await expect(call(again)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      },
      { timeout: 10_000, interval: 200 },
    );
  });

  it("rotation: a re-enrolled server certificate is served to new connections without a restart", async () => {
    const kbDir = join(tmp.path, "cloud-kb-kb");
    const probe = () =>
      new Promise<string>((resolve, reject) => {
        let seen = "";
        const c = new Client(
          address,
          grpcClientCredentials(loadBundle(kbDir), {
            expectServer: (p, cert) => {
              seen = cert.serialNumber.toLowerCase();
              return p.role === "fog";
            },
          }),
        );
        clients.push(c);
        (c as unknown as Record<string, (r: Buffer, cb: (e: Error | null) => void) => void>).whoami?.(
          Buffer.from(""),
          (err) => (err ? reject(err) : resolve(seen)),
        );
      });
    const old = pki.issued().filter((r) => r.id === "fog-1")[0]?.serial;
    expect(normaliseSerial(await probe())).toBe(normaliseSerial(old ?? ""));
    const rotated = await enroll(
      pki,
      { region: "eu", role: "fog", id: "fog-1" },
      join(tmp.path, "eu-fog-fog-1"),
      {
        nowMs: Date.now(),
      },
    );
    // the server polls its files (100 ms here); new connections get the new certificate
    await vi.waitFor(
      async () => expect(normaliseSerial(await probe())).toBe(normaliseSerial(rotated.serial)),
      {
        timeout: 10_000,
        interval: 200,
      },
    );
  });

  it("client rotation: re-enrolled client credentials reach their holder; a half-written pair is skipped", async () => {
    const dir = await bundle("eu", "fog", "fog-7");
    const rotating = new RotatingClientCredentials(loadBundle(dir), {
      expectServer: (p) => p.role === "fog",
      pollMs: 100,
      settleMs: 50,
    });
    const told: grpc.ChannelCredentials[] = [];
    rotating.subscribe((c) => told.push(c));
    const first = new Client(address, rotating.current);
    clients.push(first);
    expect(await call(first)).toBe("eu/fog/fog-7");
    // enrolment replaces key.pem first: a key without its certificate is not a usable pair
    const elsewhere = join(tmp.path, "fog-7-next");
    const next = await enroll(pki, { region: "eu", role: "fog", id: "fog-7" }, elsewhere, {
      nowMs: Date.now(),
    });
    copyFileSync(join(elsewhere, "key.pem"), join(dir, "key.pem"));
    expect(rotating.reload()).toBe(false);
    expect(rotating.rejectedReloads).toBe(1);
    copyFileSync(join(elsewhere, "cert.pem"), join(dir, "cert.pem"));
    // the watcher picks the completed pair up by itself
    await vi.waitFor(() => expect(told).toHaveLength(1), { timeout: 10_000, interval: 100 });
    expect(rotating.current).toBe(told[0]);
    let seen = "";
    const second = new Client(address, rotating.current);
    clients.push(second);
    await pki.revoke((r) => r.id === "fog-7" && r.serial !== next.serial, Date.now());
    copyFileSync(pki.files.crl, join(tmp.path, "eu-fog-fog-1", "crl.pem"));
    // the old certificate is now refused; the rotated credentials still get through
    await expect(call(first)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    seen = await call(second);
    expect(seen).toBe("eu/fog/fog-7");
    rotating.close();
  });
});
