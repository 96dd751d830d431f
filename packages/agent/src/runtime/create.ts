import { join } from "node:path";
import type { AgentConfig } from "../config/config.js";
import { type ProcessEvent, ProcessRuntime } from "./process.js";
import type { Runtime } from "./runtime.js";

/** The runtime the configuration asks for. The k3s runtime (and its Kubernetes client) loads only when used. */
export async function createRuntime(
  config: AgentConfig,
  onEvent?: (e: ProcessEvent) => void,
): Promise<Runtime> {
  if (config.runtime.kind === "k3s") {
    const { K3sRuntime } = await import("./k3s.js");
    return K3sRuntime.fromConfig(config);
  }
  return new ProcessRuntime({
    workDir: config.runtime.workDir,
    logDir: join(config.dataDir, "logs"),
    stopGraceMs: config.runtime.stopGraceMs,
    ...(config.runtime.sandbox ? { sandbox: config.runtime.sandbox } : {}),
    onEvent,
  });
}
