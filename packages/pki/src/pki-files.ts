import { join } from "node:path";

/** The files of a PKI directory (`qonnect pki init --dir DIR`). Only `ca-key.pem` and `nats/*.nk` are secret. */
export const pkiFiles = (dir: string) => ({
  caCert: join(dir, "ca.pem"),
  caKey: join(dir, "ca-key.pem"),
  crl: join(dir, "crl.pem"),
  issued: join(dir, "issued.json"),
  natsKeys: join(dir, "nats", "keys.json"),
  operatorJwt: join(dir, "nats", "operator.jwt"),
  resolver: join(dir, "nats", "resolver.conf"),
  accounts: join(dir, "nats", "accounts.json"),
});
