// @peculiar/x509 needs a Reflect metadata polyfill loaded before it (its README); every file of this package
// imports x509 from here so the order is guaranteed.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
