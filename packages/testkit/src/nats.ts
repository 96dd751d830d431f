// Real nats-servers for tests (@qonnect/natsd), whose logs a failing test prints.
import { type NatsServer, startNatsServer as startServer } from "@qonnect/natsd";
import { beforeEach } from "vitest";

const live = new Set<NatsServer>();
/** Servers stopped during the current test: a test that stops its server in `finally` still shows the log. */
const stoppedInTest = new Set<NatsServer>();

/** The last lines of every running test server's log, on stderr, when a test of this file fails. */
function registerLogOnFailure(): void {
  if (!process.env.VITEST) return;
  try {
    beforeEach(({ onTestFailed }) => {
      stoppedInTest.clear();
      onTestFailed(() => {
        for (const server of [...live, ...stoppedInTest]) {
          const tail = server.log().trimEnd().split("\n").slice(-40).join("\n");
          process.stderr.write(
            `--- nats-server ${server.url} (pid ${server.pid}), last log lines ---\n${tail}\n`,
          );
        }
      });
    });
  } catch {
    // imported outside a test file's collection (a dynamic import inside a test): no hook, logs stay readable
  }
}
registerLogOnFailure();

/**
 * Starts a real nats-server (see @qonnect/natsd's startNatsServer: it picks its own port, or `port` for a
 * restart). While it runs, a failing test of the file shows the end of its log.
 */
export async function startNatsServer(
  options: { port?: number; jetstream?: boolean } = {},
): Promise<NatsServer> {
  const server = await startServer(options);
  live.add(server);
  return {
    ...server,
    log: () => server.log(),
    async stop() {
      live.delete(server);
      stoppedInTest.add(server);
      await server.stop();
    },
  };
}

/**
 * The nats-server that `make test` started (QONNECT_TEST_NATS_URL), or a new one of the test's own.
 * `stop()` only stops a server this call started. Tests that stop or restart the server use startNatsServer.
 */
export async function useNatsServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const shared = process.env.QONNECT_TEST_NATS_URL;
  if (shared) return { url: shared, stop: async () => {} };
  const server = await startNatsServer();
  return { url: server.url, stop: () => server.stop() };
}
