// The `runtime` and `power` sections of agent.yaml: how workloads run (supervised processes, optionally
// sandboxed, or K3s) and the device's power profile where nothing is measured.
import { resolve } from "node:path";
import type { AgentConfig, PowerProfile } from "./config.js";
import type { FieldReader } from "./fields.js";

export const NAME = {
  re: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
  message: "must be a lowercase DNS label (a-z, 0-9, -)",
};
export function readRuntime(
  r: FieldReader,
  value: unknown,
  base: string,
  device: string,
): AgentConfig["runtime"] {
  const obj = typeof value === "string" ? { kind: value } : (r.object(value, "runtime") ?? {});
  r.unknownKeys(obj, "runtime", [
    "kind",
    "workDir",
    "stopGraceMs",
    "kubeconfig",
    "namespace",
    "node",
    "sandbox",
  ]);
  const sb = obj["sandbox"] === undefined ? undefined : (r.object(obj["sandbox"], "runtime.sandbox") ?? {});
  if (sb)
    r.unknownKeys(sb, "runtime.sandbox", [
      "uid",
      "gid",
      "addressSpaceBytes",
      "processes",
      "cpuSeconds",
      "openFiles",
    ]);
  const limit = (key: string) =>
    sb ? r.number(sb, key, "runtime.sandbox", { integer: true, min: 1 }) : undefined;
  const uid = sb
    ? r.number(sb, "uid", "runtime.sandbox", { integer: true, min: 1, max: 2 ** 31 })
    : undefined;
  const gid = sb
    ? r.number(sb, "gid", "runtime.sandbox", { integer: true, min: 1, max: 2 ** 31 })
    : undefined;
  if (sb && (uid === undefined || gid === undefined))
    r.problem("runtime.sandbox", "uid and gid are required (a user of its own, not the agent's)");
  const sandbox =
    sb && uid !== undefined && gid !== undefined
      ? {
          uid,
          gid,
          addressSpaceBytes: limit("addressSpaceBytes"),
          processes: limit("processes"),
          cpuSeconds: limit("cpuSeconds"),
          openFiles: limit("openFiles"),
        }
      : undefined;
  const kind = (r.string(obj, "kind", "runtime", { oneOf: ["process", "k3s"] }) ?? "process") as
    | "process"
    | "k3s";
  const workDir = r.string(obj, "workDir", "runtime");
  const kubeconfig = r.string(obj, "kubeconfig", "runtime");
  return {
    kind,
    workDir: workDir === undefined ? process.cwd() : resolve(base, workDir),
    stopGraceMs: r.number(obj, "stopGraceMs", "runtime", { integer: true, min: 0, max: 600_000 }) ?? 5000,
    ...(sandbox ? { sandbox } : {}),
    kubeconfig: kubeconfig === undefined ? undefined : resolve(base, kubeconfig),
    namespace: r.string(obj, "namespace", "runtime", { pattern: NAME }) ?? "qonnect",
    node: r.string(obj, "node", "runtime") ?? device,
  };
}

export function readPower(r: FieldReader, value: unknown): PowerProfile {
  const obj = r.object(value, "power") ?? {};
  r.unknownKeys(obj, "power", ["idleW", "maxW", "gamma"]);
  const idleW = r.number(obj, "idleW", "power", { min: 0 }) ?? 3;
  const maxW = r.number(obj, "maxW", "power", { min: 0 }) ?? 8;
  const gamma = r.number(obj, "gamma", "power", { min: 0.1, max: 10 }) ?? 1;
  if (maxW < idleW) r.problem("power.maxW", `must be at least power.idleW (${idleW}), got ${maxW}`);
  return { idleW, maxW, gamma };
}
