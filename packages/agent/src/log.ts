import { type Logger, pino } from "pino";

/** The agent's structured JSON log (pino) on stdout, or on `destination` (a file descriptor or path). */
export function createLogger(level: string, destination: number | string = 1): Logger {
  return pino(
    { name: "qonnect-agent", level, base: { pid: process.pid } },
    pino.destination({ dest: destination, sync: false }),
  );
}
