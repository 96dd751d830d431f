import { type Logger, pino } from "pino";

/** The fog lead's structured JSON log (pino) on stderr, or on `destination` (a file descriptor or path). */
export function createFogLogger(level: string, destination: number | string = 2): Logger {
  return pino(
    { name: "qonnect-fog", level, base: { pid: process.pid } },
    pino.destination({ dest: destination, sync: false }),
  );
}
