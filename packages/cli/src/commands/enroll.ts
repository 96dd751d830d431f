import { resolve } from "node:path";
import { enroll, IdentityError, ROLES, type Role } from "@qonnect/pki";
import { CliError, EXIT } from "../io.js";
import type { Register } from "./index.js";
import { openPki, pkiDir } from "./pki.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const registerEnroll: Register = (program, io) => {
  program
    .command("enroll")
    .description(
      "issue one identity's bundle (ca.pem, cert.pem, key.pem, nats.creds, identity.yaml); again = rotate",
    )
    .argument("<role>", `device | fog | kb | admin | nats`)
    .argument("[name]", "device name, fog lead id, admin name (kb: default kb)")
    .option("--region <region>", "the region (kb and admin: cloud)")
    .option("--pki <dir>", "PKI directory (default $QONNECT_PKI or ./pki)")
    .option("--out <dir>", "bundle directory (default ./bundles/<region>-<role>-<name>)")
    .option("--days <n>", "certificate lifetime in days", "90")
    .option("--host <host>", "DNS name or IP a server certificate answers to (repeatable)", collect)
    .option("--nats <url>", "NATS server URL for identity.yaml (repeatable)", collect)
    .option("--fog <address>", "fog lead gRPC address for identity.yaml (repeatable)", collect)
    .option("--kb <address>", "Knowledge Base address for identity.yaml")
    .option(
      "--deployment-region <region>",
      "nats leaf-<region>: a region of the deployment the link may not speak for (repeatable)",
      collect,
    )
    .option("--json", "print one JSON document")
    .action(
      async (
        role: string,
        name: string | undefined,
        opts: {
          region?: string;
          pki?: string;
          out?: string;
          days: string;
          host?: string[];
          nats?: string[];
          fog?: string[];
          kb?: string;
          deploymentRegion?: string[];
          json?: boolean;
        },
      ) => {
        if (!ROLES.includes(role as Role))
          throw new CliError(`unknown role "${role}"; choose one of ${ROLES.join(", ")}`, EXIT.usage);
        const id = name ?? (role === "kb" ? "kb" : undefined);
        if (!id) throw new CliError(`enroll ${role} needs a NAME`, EXIT.usage);
        const region = opts.region ?? (["kb", "admin", "nats"].includes(role) ? "cloud" : undefined);
        if (!region) throw new CliError(`enroll ${role} needs --region`, EXIT.usage);
        const days = Number(opts.days);
        if (!Number.isFinite(days) || days <= 0 || days > 3650)
          throw new CliError(`--days ${opts.days} must be between 1 and 3650`, EXIT.usage);
        const pki = openPki(pkiDir(io, opts.pki));
        const out = resolve(io.cwd, opts.out ?? `bundles/${region}-${role}-${id}`);
        try {
          const record = await enroll(pki, { region, role: role as Role, id }, out, {
            nowMs: Date.now(),
            days,
            hosts: opts.host,
            nats: opts.nats,
            fog: opts.fog,
            kb: opts.kb,
            ...(opts.deploymentRegion ? { regions: [region, ...opts.deploymentRegion] } : {}),
          });
          const summary = {
            bundle: out,
            uri: `spiffe://qonnect/${region}/${role}/${id}`,
            serial: record.serial,
            notAfter: new Date(record.notAfterMs).toISOString(),
          };
          if (opts.json) io.out(`${JSON.stringify(summary)}\n`);
          else
            io.err(
              `enrolled ${summary.uri} into ${out} (serial ${record.serial}, until ${summary.notAfter})\n`,
            );
        } catch (err) {
          if (err instanceof IdentityError) throw new CliError(err.message, EXIT.usage);
          throw err;
        }
      },
    );
};
