import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { natsServerConfig, Pki, PkiError } from "@qonnect/pki";
import { CliError, EXIT, type Io } from "../io.js";
import type { Register } from "./index.js";
import { registerPkiNatsDeployment } from "./pki-nats-deployment.js";

/** The PKI directory: --pki, else $QONNECT_PKI, else ./pki. */
export function pkiDir(io: Io, flag?: string): string {
  return resolve(io.cwd, flag ?? io.env.QONNECT_PKI ?? "pki");
}

export function openPki(dir: string): Pki {
  try {
    return Pki.open(dir);
  } catch (err) {
    if (err instanceof PkiError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

export const registerPki: Register = (program, io) => {
  const pki = program
    .command("pki")
    .description("the deployment's certificate authority and NATS operator (keep its directory offline)");
  pki
    .command("init")
    .description("create the CA (ca.pem, ca-key.pem), an empty CRL and the NATS operator and accounts")
    .option("--pki <dir>", "PKI directory (default $QONNECT_PKI or ./pki)")
    .option("--days <n>", "CA lifetime in days", "3650")
    .option("--json", "print one JSON document")
    .action(async (opts: { pki?: string; days: string; json?: boolean }) => {
      const dir = pkiDir(io, opts.pki);
      try {
        const created = await Pki.init(dir, { nowMs: Date.now(), days: Number(opts.days) });
        const out = {
          dir,
          ca: created.files.caCert,
          crl: created.files.crl,
          resolver: created.files.resolver,
        };
        if (opts.json) io.out(`${JSON.stringify(out)}\n`);
        else
          io.err(
            `created the CA in ${dir}\n  ca.pem (give it to everyone), ca-key.pem (keep it offline)\n` +
              `next: qonnect enroll device NAME --region R --pki ${dir}\n`,
          );
      } catch (err) {
        if (err instanceof PkiError) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
    });
  pki
    .command("nats-config")
    .description(
      "write a nats-server config: TLS required, operator JWT, MEMORY resolver (nats-server ≥ 2.9)",
    )
    .requiredOption(
      "--server-bundle <dir>",
      "the server's bundle (qonnect enroll nats NAME --host 127.0.0.1)",
    )
    .requiredOption("--port <port>", "client port")
    .requiredOption("--out <file>", "config file to write")
    .option("--pki <dir>", "PKI directory (default $QONNECT_PKI or ./pki)")
    .option("--host <host>", "listen address", "127.0.0.1")
    .option("--store <dir>", "JetStream store directory (JetStream off without it)")
    .action(
      (opts: {
        serverBundle: string;
        port: string;
        out: string;
        pki?: string;
        host: string;
        store?: string;
      }) => {
        const dir = pkiDir(io, opts.pki);
        openPki(dir);
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port <= 0 || port > 65535)
          throw new CliError(`--port ${opts.port} is not a port number`, EXIT.usage);
        const configFile = resolve(io.cwd, opts.out);
        writeFileSync(
          configFile,
          natsServerConfig({
            pkiDir: dir,
            serverBundleDir: resolve(io.cwd, opts.serverBundle),
            configFile,
            host: opts.host,
            port,
            storeDir: opts.store ? resolve(io.cwd, opts.store) : undefined,
          }),
        );
        io.err(`wrote ${configFile}; start it with: nats-server -c ${configFile}\n`);
      },
    );
  registerPkiNatsDeployment(pki, io, (flag) => openPki(pkiDir(io, flag)));
};
