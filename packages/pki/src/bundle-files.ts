import { join } from "node:path";

/** The files of one identity's bundle directory (DESIGN.md §10); `qonnect flash` installs exactly these. */
export const bundleFiles = (dir: string) => ({
  ca: join(dir, "ca.pem"),
  cert: join(dir, "cert.pem"),
  key: join(dir, "key.pem"),
  creds: join(dir, "nats.creds"),
  identity: join(dir, "identity.yaml"),
  crl: join(dir, "crl.pem"),
});
