import { readFileSync } from "node:fs";
import { telemetryV1 } from "@qonnect/proto";
import { type ConnectionOptions, connect } from "nats";
import { parse as loadYaml } from "yaml";
import { subjects } from "./telemetry/subjects.js";

/** A command file: the token and the whole desired workload set (WorkloadSpec in its protobuf JSON form). */
export class CommandFileError extends Error {
  override name = "CommandFileError";
}

/** Reads a YAML command file: `token: {term, planVersion}` and `workloads: [WorkloadSpec...]`. */
export function loadCommandFile(file: string, device: string): telemetryV1.DeviceCommand {
  let doc: { token?: unknown; workloads?: unknown };
  try {
    doc = (loadYaml(readFileSync(file, "utf8")) ?? {}) as typeof doc;
  } catch (err) {
    throw new CommandFileError(`${file}: ${(err as Error).message.split("\n")[0]}`, { cause: err });
  }
  if (!doc.token || typeof doc.token !== "object")
    throw new CommandFileError(`${file}: token: {term, planVersion} is required`);
  if (doc.workloads !== undefined && !Array.isArray(doc.workloads))
    throw new CommandFileError(`${file}: workloads must be a list`);
  return {
    device,
    token: telemetryV1.FencingToken.fromJSON(doc.token),
    workloads: ((doc.workloads ?? []) as unknown[]).map((w) => telemetryV1.WorkloadSpec.fromJSON(w)),
    tsMs: Date.now(),
  };
}

/**
 * Sends a DeviceCommand the way a fog leader does (request/reply) and returns the decoded ack. Under NATS
 * accounts only the region's fog leads may publish commands: pass a fog lead's connection (TLS, credentials,
 * inbox prefix), e.g. `natsConnectOptions(loadBundle(dir))` from `@qonnect/pki`.
 */
export async function sendDeviceCommand(
  servers: string[],
  region: string,
  command: telemetryV1.DeviceCommand,
  timeoutMs = 15_000,
  connection: Partial<ConnectionOptions> = {},
): Promise<telemetryV1.CommandAck> {
  const nc = await connect({ name: "qonnect-agent-command", ...connection, servers });
  try {
    const reply = await nc.request(
      subjects.command(region, command.device),
      telemetryV1.DeviceCommand.encode(command).finish(),
      { timeout: timeoutMs },
    );
    return telemetryV1.CommandAck.decode(reply.data);
  } finally {
    await nc.close();
  }
}
