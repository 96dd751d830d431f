import { resolve } from "node:path";
import { parseDurationMs } from "@qonnect/core";
import { CliError, EXIT, type Io } from "../io.js";
import { type ConnectionFlags, connectionOptions, withClient } from "../kb-connection.js";
import type { Register } from "./index.js";

/** The Knowledge Base package loads only when a kb command runs. */
const kbPackage = () => import("@qonnect/kb");

/** A retention flag's duration in ms (7d, 400d); a bad one is a usage error naming the flag. */
function retentionMs(flag: string, value: string): number {
  try {
    return parseDurationMs(value);
  } catch {
    throw new CliError(`${flag} ${value}: use a duration such as 7d, 12h`, EXIT.usage);
  }
}

function ttlSeconds(ttl: string): number {
  try {
    return Math.round(parseDurationMs(ttl) / 1000);
  } catch {
    throw new CliError(`--ttl ${ttl}: use a duration such as 12h, 30d`, EXIT.usage);
  }
}

/** `qonnect kb serve` and `qonnect kb token create`. */
export const registerKb: Register = (program, io: Io) => {
  const kb = program.command("kb").description("the Knowledge Base: serve it, make tokens for it");

  kb.command("serve")
    .description("run the Knowledge Base: control API (gRPC), REST API, planning loop (stops on Ctrl-C)")
    .requiredOption("--data <dir>", "data directory (the SQLite store lives here)")
    .option("--store <store>", "sqlite, or a postgres:// URL shared by several kb serve processes", "sqlite")
    .option("--grpc <host:port>", "control API listen address", "127.0.0.1:7443")
    .option("--http <host:port>", "REST API listen address", "127.0.0.1:8443")
    .option("--nats <url...>", "NATS server(s) carrying the regions' summaries")
    .option("--tls-cert <file>", "server certificate (PEM) for both listeners")
    .option("--tls-key <file>", "server private key (PEM)")
    .option("--tls-ca <file>", "CA that client certificates are checked against (gRPC)")
    .option(
      "--bundle <dir>",
      "the kb's identity (qonnect enroll kb --host ADDR): TLS, mTLS to fog leads, NATS creds",
    )
    .option("--insecure", "plaintext listeners (development and tests only)")
    .option(
      "--telemetry-raw-retention <duration>",
      "keep every telemetry sample this long, then one row per device and minute",
      "7d",
    )
    .option("--telemetry-minute-retention <duration>", "keep the per-minute telemetry this long", "400d")
    .action(
      async (opts: {
        telemetryRawRetention: string;
        telemetryMinuteRetention: string;
        data: string;
        store: string;
        grpc: string;
        http: string;
        nats?: string[];
        tlsCert?: string;
        tlsKey?: string;
        tlsCa?: string;
        bundle?: string;
        insecure?: boolean;
      }) => {
        if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey))
          throw new CliError("--tls-cert and --tls-key go together", EXIT.usage);
        if (opts.bundle && opts.tlsCert)
          throw new CliError("give either --bundle or --tls-cert/--tls-key, not both", EXIT.usage);
        if (!opts.tlsCert && !opts.bundle && !opts.insecure)
          throw new CliError(
            "no TLS: pass --bundle DIR (qonnect enroll kb), or --tls-cert FILE --tls-key FILE, or --insecure for plaintext (development only)",
            EXIT.usage,
          );
        const telemetryRetention = {
          rawMs: retentionMs("--telemetry-raw-retention", opts.telemetryRawRetention),
          minutesMs: retentionMs("--telemetry-minute-retention", opts.telemetryMinuteRetention),
        };
        const { runKbServe, TlsConfigError, TelemetryRetentionError } = await kbPackage();
        const { BundleError } = await import("@qonnect/pki");
        await runKbServe(
          {
            dataDir: resolve(io.cwd, opts.data),
            store: opts.store,
            grpc: opts.grpc,
            http: opts.http,
            ...(opts.nats ? { nats: opts.nats } : {}),
            ...(opts.tlsCert && opts.tlsKey
              ? {
                  tls: {
                    certFile: opts.tlsCert,
                    keyFile: opts.tlsKey,
                    ...(opts.tlsCa ? { caFile: opts.tlsCa } : {}),
                  },
                }
              : {}),
            ...(opts.bundle ? { bundle: resolve(io.cwd, opts.bundle) } : {}),
            insecure: Boolean(opts.insecure) && !opts.tlsCert && !opts.bundle,
            telemetryRetention,
          },
          (server) =>
            io.err(`kb serving: grpc ${server.grpcAddress}, http ${server.httpUrl} (pid ${process.pid})\n`),
        ).catch((err: unknown) => {
          if (
            err instanceof BundleError ||
            err instanceof TlsConfigError ||
            err instanceof TelemetryRetentionError
          )
            throw new CliError(err.message, EXIT.usage);
          throw err;
        });
      },
    );

  const token = kb.command("token").description("bearer tokens for the control API");
  connectionOptions(
    token
      .command("create")
      .description(
        "make a token (printed once); --data DIR writes it into a local store directly (the first admin)",
      )
      .requiredOption("--role <role>", "viewer | operator | admin")
      .option("--ttl <duration>", "lifetime, e.g. 12h, 30d", "30d")
      .option("--description <text>", "what it is for", "")
      .option("--data <dir>", "the Knowledge Base's data directory (bypasses the API; needs no token)")
      .option("--store <store>", "with --data: sqlite or a postgres:// URL", "sqlite")
      .option("--json", "print {token, id, role, expireTimeMs}"),
  ).action(
    async (
      opts: ConnectionFlags & {
        role: string;
        ttl: string;
        description: string;
        data?: string;
        store: string;
        json?: boolean;
      },
    ) => {
      const { createToken, isRole, openStore } = await kbPackage();
      if (!isRole(opts.role))
        throw new CliError(`--role must be viewer, operator or admin, not "${opts.role}"`, EXIT.usage);
      const ttlS = ttlSeconds(opts.ttl);
      let made: { token: string; id: string; role: string; expireTimeMs: number };
      if (opts.data) {
        const store = await openStore(opts.store, resolve(io.cwd, opts.data));
        try {
          made = await createToken(store, opts.role, {
            nowMs: Date.now(),
            ttlS,
            description: opts.description,
          });
        } finally {
          await store.close();
        }
      } else made = await withClient(io, opts, (c) => c.createToken(opts.role, opts.description, ttlS));
      if (opts.json) io.out(`${JSON.stringify(made)}\n`);
      else {
        io.out(`${made.token}\n`);
        io.err(
          `token ${made.id} (${made.role}) valid until ${new Date(made.expireTimeMs).toISOString()}; it is shown only once\n`,
        );
      }
    },
  );

  token
    .command("revoke")
    .description("revoke a token by its id (the qkb_<id>_… part) in the Knowledge Base's store")
    .argument("<id>", "token id")
    .requiredOption("--data <dir>", "the Knowledge Base's data directory")
    .option("--store <store>", "sqlite or a postgres:// URL", "sqlite")
    .action(async (id: string, opts: { data: string; store: string }) => {
      const { openStore } = await kbPackage();
      const store = await openStore(opts.store, resolve(io.cwd, opts.data));
      try {
        if (!(await store.revokeToken(id))) throw new CliError(`no token ${id} in ${opts.data}`, EXIT.failed);
      } finally {
        await store.close();
      }
      io.err(`token ${id} revoked: requests with it are refused from now on\n`);
    });
};
