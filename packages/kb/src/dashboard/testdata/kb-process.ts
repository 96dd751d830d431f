// A real `qonnect kb serve` process (the CLI, through tsx) on fixed loopback ports, so a test can kill it
// and start it again on the same address and data directory.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../../../", import.meta.url));

export interface KbProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function startKbProcess(o: {
  dataDir: string;
  httpPort: number;
  grpcPort: number;
  nats: string;
}): Promise<KbProcess> {
  const child = spawn(
    `${ROOT}node_modules/.bin/tsx`,
    [
      `${ROOT}packages/cli/src/main.ts`,
      "kb",
      "serve",
      "--data",
      o.dataDir,
      "--http",
      `127.0.0.1:${o.httpPort}`,
      "--grpc",
      `127.0.0.1:${o.grpcPort}`,
      "--nats",
      o.nats,
      "--insecure",
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  child.stderr!.on("data", (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kb serve did not start in 120 s:\n${err}`)), 120_000);
    const check = () => {
      if (err.includes("kb serving")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kb serve exited with ${code}:\n${err}`));
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${o.httpPort}`,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
