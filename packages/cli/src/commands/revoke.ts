import { normaliseSerial, pushAccountJwt } from "@qonnect/pki";
import { CliError, EXIT } from "../io.js";
import type { Register } from "./index.js";
import { openPki, pkiDir } from "./pki.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const registerRevoke: Register = (program, io, outcome) => {
  program
    .command("revoke")
    .description(
      "revoke certificates and NATS users: rewrites crl.pem and nats/resolver.conf and pushes the account to servers",
    )
    .argument("[role]", "device | fog | kb | admin | nats (with NAME and --region)")
    .argument("[name]", "the identity's name")
    .option("--region <region>", "the identity's region")
    .option("--serial <hex>", "revoke one certificate by serial instead")
    .option("--pki <dir>", "PKI directory (default $QONNECT_PKI or ./pki)")
    .option(
      "--push <url>",
      "running nats-server to update now (repeatable); others pick it up on SIGHUP",
      collect,
    )
    .option("--json", "print one JSON document")
    .action(
      async (
        role: string | undefined,
        name: string | undefined,
        opts: { region?: string; serial?: string; pki?: string; push?: string[]; json?: boolean },
      ) => {
        if (!opts.serial && !(role && name))
          throw new CliError("say what to revoke: ROLE NAME --region R, or --serial HEX", EXIT.usage);
        const pki = openPki(pkiDir(io, opts.pki));
        const serial = opts.serial ? normaliseSerial(opts.serial) : undefined;
        const revoked = await pki.revoke(
          (r) =>
            serial !== undefined
              ? normaliseSerial(r.serial) === serial
              : r.role === role && r.id === name && (opts.region === undefined || r.region === opts.region),
          Date.now(),
        );
        if (revoked.length === 0) {
          io.err(
            "nothing to revoke: no unrevoked certificate matches (see issued.json in the PKI directory)\n",
          );
          outcome.exitCode = EXIT.failed;
        }
        const pushed = opts.push?.length ? await pushAccountJwt(pki, opts.push, Date.now()) : [];
        for (const p of pushed) if (!p.ok) outcome.exitCode = EXIT.failed;
        const result = {
          revoked: revoked.map((r) => ({
            serial: r.serial,
            uri: `spiffe://qonnect/${r.region}/${r.role}/${r.id}`,
          })),
          crl: pki.files.crl,
          resolver: pki.files.resolver,
          pushed,
        };
        if (opts.json) io.out(`${JSON.stringify(result)}\n`);
        else {
          for (const r of result.revoked) io.err(`revoked ${r.uri} (serial ${r.serial})\n`);
          for (const p of pushed) io.err(`${p.server}: ${p.ok ? "updated" : `FAILED: ${p.message}`}\n`);
          io.err(
            `copy ${result.crl} to the gRPC servers (they reload it) and send SIGHUP to nats-servers not pushed to\n`,
          );
        }
      },
    );
};
