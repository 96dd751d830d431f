// The agent's own entry point, and the input of `pnpm build:agent` (one esbuild bundle, plain `node`):
//   node qonnect-agent.mjs run --config agent.yaml
//   node qonnect-agent.mjs status [--url http://127.0.0.1:9464]
import { AgentConfigError } from "./config/config.js";
import { runAgent } from "./run.js";
import { AgentUnreachableError, fetchAgentStatus, formatAgentStatus } from "./status-client.js";

const USAGE =
  "usage: qonnect-agent run --config agent.yaml | qonnect-agent status [--url http://127.0.0.1:9464]\n";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const option = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (command === "run") {
    const config = option("--config") ?? option("-c");
    if (!config) {
      process.stderr.write(USAGE);
      return 2;
    }
    try {
      await runAgent(config);
      return 0;
    } catch (err) {
      if (err instanceof AgentConfigError) {
        process.stderr.write(`${err.message}\nfix the configuration and start the agent again\n`);
        return 2;
      }
      throw err;
    }
  }
  if (command === "status") {
    try {
      process.stdout.write(
        formatAgentStatus(await fetchAgentStatus(option("--url") ?? "http://127.0.0.1:9464")),
      );
      return 0;
    } catch (err) {
      if (err instanceof AgentUnreachableError) {
        process.stderr.write(`error: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  }
  process.stderr.write(USAGE);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
