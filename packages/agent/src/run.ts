import { Agent } from "./agent.js";
import { loadAgentConfig } from "./config/config.js";
import { createLogger } from "./log.js";

/**
 * `qonnect agent run`: loads and validates the configuration (throws AgentConfigError before starting
 * anything), starts the agent and stops it cleanly on SIGINT/SIGTERM. Resolves when the agent has stopped.
 */
export async function runAgent(configFile: string, onStarted?: (agent: Agent) => void): Promise<void> {
  const config = loadAgentConfig(configFile);
  const logger = createLogger(config.log.level);
  const agent = await Agent.start({ config, logger });
  onStarted?.(agent);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "shutting down");
      process.off("SIGINT", shutdown);
      process.off("SIGTERM", shutdown);
      agent.stop().then(resolve, (err: Error) => {
        logger.error({ err }, "shutdown failed");
        resolve();
      });
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
  });
  logger.flush();
}
