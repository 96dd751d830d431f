import { CliError, EXIT, type Io } from "../io.js";
import { configPath, type KbContext, readConfig, writeConfig } from "../kb-connection.js";
import { table } from "../table.js";
import type { Register } from "./index.js";

/** `qonnect config set-context|use-context|get-contexts|current-context` (~/.qonnect/config or $QONNECT_CONFIG). */
export const registerConfig: Register = (program, io: Io) => {
  const config = program
    .command("config")
    .description(
      "contexts: which Knowledge Base to talk to, with which token (~/.qonnect/config or $QONNECT_CONFIG)",
    );

  config
    .command("set-context")
    .description("create or update a context (and make it current when it is the only one or --use is given)")
    .argument("<name>", "context name")
    .option("--server <host:port>", "Knowledge Base gRPC address")
    .option("--token <token>", "bearer token")
    .option("--ca <file>", "CA certificate of the server")
    .option("--insecure", "plaintext gRPC")
    .option("--use", "make it the current context")
    .action(
      (
        name: string,
        opts: { server?: string; token?: string; ca?: string; insecure?: boolean; use?: boolean },
      ) => {
        const c = readConfig(io);
        const existing = c.contexts.find((x) => x.name === name);
        if (!existing && !opts.server)
          throw new CliError(`a new context needs --server HOST:PORT`, EXIT.usage);
        const next: KbContext = {
          ...(existing ?? { name, server: opts.server! }),
          ...(opts.server ? { server: opts.server } : {}),
          ...(opts.token ? { token: opts.token } : {}),
          ...(opts.ca ? { ca: opts.ca } : {}),
          ...(opts.insecure !== undefined ? { insecure: opts.insecure } : {}),
        };
        c.contexts = [...c.contexts.filter((x) => x.name !== name), next];
        if (opts.use || c.contexts.length === 1 || !c.currentContext) c.currentContext = name;
        const file = writeConfig(io, c);
        io.err(
          `context "${name}" ${existing ? "updated" : "created"} in ${file}${c.currentContext === name ? " (current)" : ""}\n`,
        );
      },
    );

  config
    .command("use-context")
    .description("make a context the current one")
    .argument("<name>", "context name")
    .action((name: string) => {
      const c = readConfig(io);
      if (!c.contexts.some((x) => x.name === name))
        throw new CliError(
          `no context "${name}" in ${configPath(io)} (have: ${c.contexts.map((x) => x.name).join(", ") || "none"}); create it with qonnect config set-context`,
          EXIT.failed,
        );
      c.currentContext = name;
      writeConfig(io, c);
      io.err(`switched to context "${name}"\n`);
    });

  config
    .command("get-contexts")
    .description("list the contexts (tokens are not shown)")
    .option("--json", "one JSON document")
    .action((opts: { json?: boolean }) => {
      const c = readConfig(io);
      const rows = c.contexts.map((x) => ({
        current: x.name === c.currentContext,
        name: x.name,
        server: x.server,
        auth: x.token ? "token" : "none",
        tls: x.insecure ? "insecure" : x.ca ? "ca" : "system",
      }));
      if (opts.json)
        io.out(`${JSON.stringify({ currentContext: c.currentContext ?? null, contexts: rows })}\n`);
      else
        io.out(
          table(
            ["CURRENT", "NAME", "SERVER", "AUTH", "TLS"],
            rows.map((r) => [r.current ? "*" : "", r.name, r.server, r.auth, r.tls]),
          ),
        );
    });

  config
    .command("current-context")
    .description("print the current context's name")
    .action(() => {
      const c = readConfig(io);
      if (!c.currentContext)
        throw new CliError("no current context: qonnect config use-context NAME", EXIT.failed);
      io.out(`${c.currentContext}\n`);
    });
};
