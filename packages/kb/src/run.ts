// The `qonnect kb serve` process: a pino logger, the server, and a clean stop on SIGINT/SIGTERM.
import { pino } from "pino";
import { type KbServer, type KbServerOptions, startKbServer } from "./server.js";

/** Starts the Knowledge Base and resolves once it has stopped after SIGINT or SIGTERM. `onReady` sees the
 * running server (ports). */
export async function runKbServe(
  options: Omit<KbServerOptions, "logger">,
  onReady?: (kb: KbServer) => void,
): Promise<void> {
  const logger = pino({ name: "qonnect-kb" }, pino.destination(2));
  const kb = await startKbServer({ ...options, logger });
  onReady?.(kb);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      process.off("SIGINT", shutdown);
      process.off("SIGTERM", shutdown);
      logger.info({ signal }, "kb stopping");
      kb.close().then(resolve, (err) => {
        logger.error({ err }, "kb stop failed");
        resolve();
      });
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
  });
}
