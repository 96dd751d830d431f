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
      try {
        await runAgent(resolve(io.cwd, opts.config));
      } catch (err) {
        if (!(err instanceof AgentConfigError)) throw err;
        for (const problem of err.problems) io.err(`${opts.config}: ${problem}\n`);
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
        try {
          const config = loadAgentConfig(resolve(io.cwd, opts.config));
          const host = config.http.host === "0.0.0.0" ? "127.0.0.1" : config.http.host;
          url = `http://${host}:${config.http.port}`;
        } catch (err) {
          if (err instanceof AgentConfigError) throw new CliError(err.message, EXIT.usage);
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
};
