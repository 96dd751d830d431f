import { resolve } from "node:path";
import { CliError, EXIT } from "../io.js";
import type { Register } from "./index.js";

/** The agent package (NATS, systeminformation, HTTP server) loads only when an agent command runs. */
const agentPackage = () => import("@qonnect/agent");

/** `qonnect agent run --config agent.yaml` and `qonnect agent status`. */
export const registerAgent: Register = (program, io, outcome) => {
  const agent = program
    .command("agent")
    .description("the device agent: run it on a machine, or show a running agent's status");

  agent
    .command("run")
    .description("run the device agent: telemetry to NATS, fenced commands, workloads (stops on Ctrl-C)")
    .requiredOption("-c, --config <file>", "agent configuration (YAML; see docs/agent.md)")
    .action(async (opts: { config: string }) => {
      const { AgentConfigError, runAgent } = await agentPackage();
      const file = resolve(io.cwd, opts.config);
      try {
        await runAgent(file);
      } catch (err) {
        if (!(err instanceof AgentConfigError)) throw err;
        for (const problem of err.problems) io.err(`${file}: ${problem}\n`);
        io.err("fix the configuration above and run `qonnect agent run` again; nothing was started\n");
        outcome.exitCode = EXIT.usage;
      }
    });

  agent
    .command("status")
    .description("show a running agent's connection, sensors, workloads and spool depth")
    .option("-c, --config <file>", "the agent's configuration (to find its status port)")
    .option("--url <url>", "the agent's status address", "http://127.0.0.1:9464")
    .option("--json", "print the status as JSON")
    .action(async (opts: { config?: string; url: string; json?: boolean }) => {
      const {
        AgentConfigError,
        AgentUnreachableError,
        fetchAgentStatus,
        formatAgentStatus,
        loadAgentConfig,
      } = await agentPackage();
      let url = opts.url;
      if (opts.config) {
        const file = resolve(io.cwd, opts.config);
        try {
          const config = loadAgentConfig(file);
          const host = config.http.host === "0.0.0.0" ? "127.0.0.1" : config.http.host;
          url = `http://${host}:${config.http.port}`;
        } catch (err) {
          if (err instanceof AgentConfigError)
            throw new CliError(
              `${file}: ${err.problems.join("; ")}; fix it, or give the agent's address with --url`,
              EXIT.usage,
            );
          throw err;
        }
      }
      try {
        const status = await fetchAgentStatus(url);
        io.out(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatAgentStatus(status));
      } catch (err) {
        if (err instanceof AgentUnreachableError) throw new CliError(err.message, EXIT.failed);
        throw err;
      }
    });

  agent
    .command("watch")
    .description("print the decoded telemetry (and registrations) of a region's agents as they arrive")
    .requiredOption("-s, --server <url...>", "NATS server(s), e.g. nats://127.0.0.1:4222")
    .requiredOption("-r, --region <region>", "region to watch")
    .option("-d, --device <device>", "one device only")
    .option("-n, --count <n>", "stop after this many telemetry samples", (v) => Number.parseInt(v, 10))
    .option("--json", "one JSON object per message")
    .action(
      async (opts: { server: string[]; region: string; device?: string; count?: number; json?: boolean }) => {
        const { formatWatched, watchedJson, watchTelemetry } = await agentPackage();
        let seen = 0;
        let done: () => void = () => {};
        const finished = new Promise<void>((resolve) => {
          done = resolve;
        });
        let watch: { close(): Promise<void> };
        try {
          watch = await watchTelemetry(
            { servers: opts.server, region: opts.region, device: opts.device },
            (m) => {
              io.out(`${opts.json ? JSON.stringify(watchedJson(m)) : formatWatched(m)}\n`);
              if (m.kind === "telemetry" && opts.count !== undefined && ++seen >= opts.count) done();
            },
          );
        } catch (err) {
          throw new CliError(
            `cannot connect to NATS at ${opts.server.join(", ")}: ${(err as Error).message}; is nats-server running?`,
            EXIT.failed,
          );
        }
        if (!opts.json)
          io.err(`watching qonnect.${opts.region}.telemetry.${opts.device ?? "*"} (Ctrl-C to stop)\n`);
        const onSignal = () => done();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        await finished;
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await watch.close();
      },
    );

  agent
    .command("command")
    .description("send a device its whole desired workload set with a fencing token, as a fog leader does")
    .requiredOption("-s, --server <url...>", "NATS server(s), e.g. nats://127.0.0.1:4222")
    .requiredOption("-r, --region <region>", "the device's region")
    .requiredOption("-d, --device <device>", "the device")
    .requiredOption("-f, --file <file>", "YAML with token: {term, planVersion} and workloads: [...]")
    .action(async (opts: { server: string[]; region: string; device: string; file: string }) => {
      const { CommandFileError, formatToken, loadCommandFile, sendDeviceCommand, workloadStateName } =
        await agentPackage();
      let command: Awaited<ReturnType<typeof loadCommandFile>>;
      try {
        command = loadCommandFile(resolve(io.cwd, opts.file), opts.device);
      } catch (err) {
        if (err instanceof CommandFileError) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
      let ack: Awaited<ReturnType<typeof sendDeviceCommand>>;
      try {
        ack = await sendDeviceCommand(opts.server, opts.region, command);
      } catch (err) {
        throw new CliError(
          `no answer from ${opts.device} on qonnect.${opts.region}.cmd.${opts.device}: ${(err as Error).message}; ` +
            "is its agent running and connected (qonnect agent status)?",
          EXIT.failed,
        );
      }
      const held = ack.token ? formatToken(ack.token) : "none";
      io.out(`${ack.accepted ? "accepted" : "refused"}; the device holds ${held}\n`);
      if (ack.error) io.err(`${ack.error}\n`);
      for (const w of ack.workloads)
        io.out(`  ${w.app}/${w.service}/${w.replica}  ${workloadStateName(w.state)}  ${w.message}\n`);
      if (!ack.accepted) outcome.exitCode = EXIT.failed;
    });
};
