// Attacks on stored state and inputs: a WAL frame smuggled in a value, revoked certificates on mTLS, huge YAML.
import { copyFileSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import * as grpc from "@grpc/grpc-js";
import { validateText } from "@qonnect/core";
import {
  authorizePeer,
  grpcClientCredentials,
  grpcServerCredentials,
  loadBundle,
  RevocationList,
} from "@qonnect/pki";
import { WalStorage } from "@qonnect/raft";
import { type Attempt, attempt } from "./attempt.js";
import type { NatsTarget } from "./nats-attacks.js";

export async function storageAttacks(t: NatsTarget): Promise<Attempt[]> {
  const out: Attempt[] = [];
  out.push(
    await attempt("storage", "KV value holding a well-formed WAL frame, then a torn tail", async () => {
      const dir = join(t.dir, "wal-attack");
      const w = WalStorage.open(dir);
      for (let i = 1; i <= 3; i++)
        w.append([{ index: i, term: 1, type: "normal", data: new Uint8Array(16).fill(i) }]);
      w.sync();
      const seg = w.segmentFiles()[0]!;
      const size = statSync(seg).size;
      const payload = Buffer.alloc(26);
      payload[0] = 1;
      payload.writeUInt32LE(99, 1);
      const fake = Buffer.alloc(8 + 26);
      fake.writeUInt32LE(26, 0);
      fake.writeUInt32LE(crc32(payload), 4);
      payload.copy(fake, 8);
      w.append([
        {
          index: 4,
          term: 1,
          type: "normal",
          data: new Uint8Array(Buffer.concat([Buffer.alloc(40), fake, Buffer.alloc(40)])),
        },
      ]);
      w.sync();
      w.close();
      truncateSync(seg, size + 8 + 18 + 40 + fake.length + 5);
      const r = WalStorage.open(dir);
      const last = r.lastIndex();
      r.close();
      return {
        refused: last === 3,
        dataLost: last < 3,
        detail: `recovered through entry ${last} (torn tail cut)`,
      };
    }),
    await attempt(
      "grpc",
      "stolen but revoked certificate on an mTLS server (CRL reloaded, no restart)",
      async () => {
        const serverDir = await t.bundle("eu", "fog", "grpc-server");
        copyFileSync(t.pki.files.crl, join(serverDir, "crl.pem"));
        const creds = grpcServerCredentials(loadBundle(serverDir), { pollMs: 100 });
        const revoked = new RevocationList(join(serverDir, "crl.pem"), Date.now, 0);
        const server = new grpc.Server();
        const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
        const def = {
          who: {
            path: "/sec.Who/Who",
            requestStream: false,
            responseStream: false,
            requestSerialize: raw.serialize,
            requestDeserialize: raw.deserialize,
            responseSerialize: raw.serialize,
            responseDeserialize: raw.deserialize,
          },
        };
        server.addService(def, {
          who: (c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
            const p = authorizePeer(c, () => true, { revoked });
            if (p instanceof Error) cb({ code: p.code, details: p.message });
            else cb(null, Buffer.from(p.id));
          },
        });
        const port = await new Promise<number>((res, rej) =>
          server.bindAsync("127.0.0.1:0", creds, (e, p) => (e ? rej(e) : res(p))),
        );
        const Client = grpc.makeGenericClientConstructor(def, "Who");
        const thiefDir = await t.bundle("cloud", "admin", "thief");
        const rec = t.pki.issued().find((r) => r.id === "thief");
        await t.pki.revoke((r) => r.serial === rec?.serial, Date.now());
        copyFileSync(t.pki.files.crl, join(serverDir, "crl.pem"));
        const call = () =>
          new Promise<grpc.ServiceError | null>((res) => {
            const c = new Client(
              `127.0.0.1:${port}`,
              grpcClientCredentials(loadBundle(thiefDir), { expectServer: () => true }),
            );
            (
              c as unknown as Record<string, (r: Buffer, cb: (e: grpc.ServiceError | null) => void) => void>
            ).who?.(Buffer.alloc(0), (e) => {
              c.close();
              res(e);
            });
          });
        let err: grpc.ServiceError | null = null;
        for (let i = 0; i < 50; i++) {
          err = await call();
          if (err) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        creds.close();
        server.forceShutdown();
        return {
          refused: err !== null,
          detail: err ? `${grpc.status[err.code]}: ${err.details}` : "accepted",
        };
      },
    ),
    await attempt("input", "a 4 MB manifest", async () => {
      const text = `kind: Application\nspec:\n  services:\n${"    - {name: s, image: i}\n".repeat(170_000)}`;
      const r = validateText(text, "big.yaml");
      return {
        refused: !r.ok && r.diagnostics.length === 1,
        detail: r.diagnostics[0]?.message ?? "validated",
      };
    }),
  );
  return out;
}
