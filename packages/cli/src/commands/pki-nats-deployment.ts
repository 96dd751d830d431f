// `qonnect pki nats-deployment`: the files of the secure NATS deployment (three cloud servers, one leafnode
// server per region) for an operator to install, rendered from infra/nats/cloud.conf and leaf.conf.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultNatsConfigDir } from "@qonnect/natsd";
import { type NatsServerAddress, type Pki, writeNatsDeploymentFiles } from "@qonnect/pki";
import type { Command } from "commander";
import { CliError, EXIT, type Io } from "../io.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

function address(text: string, flag: string): NatsServerAddress {
  const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text);
  const port = Number(m?.[2] ?? 4222);
  if (!m || port < 1 || port > 65535 - 4000)
    throw new CliError(`${flag} ${text}: expected HOST or HOST:PORT (client port ≤ 61535)`, EXIT.usage);
  return { host: m[1]!, port };
}

/** Registers `nats-deployment` under `qonnect pki`; `openPki` opens the --pki directory (or the default). */
export function registerPkiNatsDeployment(pki: Command, io: Io, openPki: (flag?: string) => Pki): void {
  pki
    .command("nats-deployment")
    .description(
      "write the secure NATS deployment's files: per server its bundle, nats.conf (from infra/nats), operator JWT, resolver.conf",
    )
    .requiredOption("--out <dir>", "directory to write (one sub-directory per server)")
    .requiredOption("--cloud <host[:port]>", "a cloud server's address; three of them", collect)
    .requiredOption(
      "--region <name=host[:port]>",
      "a region and its leafnode server's address (repeatable)",
      collect,
    )
    .option("--pki <dir>", "PKI directory (default $QONNECT_PKI or ./pki)")
    .option("--install-dir <dir>", "where the directories will be on the servers (default --out)")
    .option("--store-dir <dir>", "JetStream store on the servers (default <install-dir>/<server>/jetstream)")
    .option("--bind <address>", "address every listener binds (default each server's host)")
    .option(
      "--templates <dir>",
      "directory holding cloud.conf and leaf.conf (default the repository's infra/nats)",
    )
    .option("--days <n>", "certificate lifetime in days", "90")
    .option("--json", "print one JSON document")
    .action(
      async (opts: {
        out: string;
        cloud: string[];
        region: string[];
        pki?: string;
        installDir?: string;
        storeDir?: string;
        bind?: string;
        templates?: string;
        days: string;
        json?: boolean;
      }) => {
        if (opts.cloud.length !== 3)
          throw new CliError(`give three --cloud servers (got ${opts.cloud.length})`, EXIT.usage);
        const regions: Record<string, NatsServerAddress> = {};
        for (const r of opts.region) {
          const [name, addr] = r.split("=", 2);
          if (!name || !addr || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name))
            throw new CliError(`--region ${r}: expected NAME=HOST[:PORT] with a lower-case NAME`, EXIT.usage);
          if (regions[name]) throw new CliError(`--region ${name} is given twice`, EXIT.usage);
          regions[name] = address(addr, "--region");
        }
        const templatesDir = resolve(io.cwd, opts.templates ?? defaultNatsConfigDir());
        const read = (file: string) => {
          const path = join(templatesDir, file);
          if (!existsSync(path))
            throw new CliError(`${path} is missing; point --templates at infra/nats`, EXIT.usage);
          return readFileSync(path, "utf8");
        };
        const outDir = resolve(io.cwd, opts.out);
        const servers = await writeNatsDeploymentFiles(openPki(opts.pki), {
          cloud: opts.cloud.map((c) => address(c, "--cloud")),
          regions,
          templates: { cloud: read("cloud.conf"), leaf: read("leaf.conf") },
          outDir,
          nowMs: Date.now(),
          days: Number(opts.days),
          ...(opts.installDir ? { installDir: resolve(io.cwd, opts.installDir) } : {}),
          ...(opts.storeDir ? { storeDir: resolve(io.cwd, opts.storeDir) } : {}),
          ...(opts.bind ? { bind: opts.bind } : {}),
        });
        if (opts.json) io.out(`${JSON.stringify({ out: outDir, servers })}\n`);
        else {
          for (const s of servers) io.err(`${s.name}: ${s.dir} (nats-server -c ${s.config}) ${s.url}\n`);
          io.err(
            `install each directory on its server; after 'qonnect revoke', copy the PKI's nats/resolver.conf over each server's resolver.conf and send SIGHUP (or use --push)\n`,
          );
        }
      },
    );
}
