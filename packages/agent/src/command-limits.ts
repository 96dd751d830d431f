// Bounds on what a DeviceCommand may ask of a device. A whole command is refused (and nothing of it persisted)
// when it is undecodable, addressed elsewhere, carries an implausible token or too many workloads; a single
// bad workload is refused alone while the others run.
import type { telemetryV1 } from "@qonnect/proto";

export const COMMAND_LIMITS = {
  /** workloads per device */
  maxWorkloads: 64,
  /** app, service and plan names */
  maxNameBytes: 128,
  maxImageBytes: 512,
  maxArgs: 64,
  maxArgBytes: 4096,
  maxEnv: 64,
  maxEnvKeyBytes: 128,
  maxEnvValueBytes: 32 * 1024,
  maxPorts: 16,
  maxCalls: 64,
  /**
   * How far a token's term may run ahead of the held one: the elections a fog region can hold while this
   * device was away. A bigger jump is a forgery that would lock the device out of its real leader.
   */
  maxTermJump: 10_000,
  /** plan versions a region can commit within one term while this device was away */
  maxPlanJump: 1_000_000,
  /** absolute bounds: beyond these a token is not a real one */
  maxTerm: 2 ** 40,
  maxPlanVersion: 2 ** 48,
} as const;

const NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const hasNul = (s: string) => s.includes("\0");

/** Why a workload cannot run, or undefined when it can. */
export function workloadProblem(w: telemetryV1.WorkloadSpec, runtime: "process" | "k3s"): string | undefined {
  const L = COMMAND_LIMITS;
  for (const [what, v] of [
    ["app", w.app],
    ["service", w.service],
  ] as const) {
    if (!v) return `${what} is required`;
    if (bytes(v) > L.maxNameBytes || !NAME.test(v))
      return `${what} "${v.slice(0, 64)}" must be lower-case letters, digits, '.', '_' or '-' (≤ ${L.maxNameBytes} bytes)`;
  }
  if (w.plan && (bytes(w.plan) > L.maxNameBytes || hasNul(w.plan))) return "plan id too long or holds NUL";
  if (bytes(w.image) > L.maxImageBytes || hasNul(w.image)) return "image too long or holds NUL";
  if (w.command.length > L.maxArgs) return `command has ${w.command.length} arguments (at most ${L.maxArgs})`;
  for (const arg of w.command)
    if (hasNul(arg) || bytes(arg) > L.maxArgBytes)
      return `a command argument holds NUL or exceeds ${L.maxArgBytes} bytes`;
  const env = Object.entries(w.env);
  if (env.length > L.maxEnv) return `${env.length} environment variables (at most ${L.maxEnv})`;
  for (const [k, v] of env) {
    if (!ENV_KEY.test(k) || bytes(k) > L.maxEnvKeyBytes)
      return `environment key "${k.slice(0, 64)}" is not a valid name`;
    if (hasNul(v) || bytes(v) > L.maxEnvValueBytes)
      return `environment value of ${k} holds NUL or exceeds ${L.maxEnvValueBytes} bytes`;
  }
  if (w.ports.length > L.maxPorts) return `${w.ports.length} ports (at most ${L.maxPorts})`;
  if (w.ports.some((p) => p < 1 || p > 65535)) return "ports must be 1..65535";
  if (w.calls.length > L.maxCalls) return `${w.calls.length} calls (at most ${L.maxCalls})`;
  for (const c of w.calls)
    if (hasNul(c.service) || hasNul(c.host) || bytes(c.host) > 255 || c.port < 1 || c.port > 65535)
      return "a call address is malformed";
  if (runtime === "process" && w.command.length === 0) return "the process runtime needs a command";
  if (runtime === "k3s" && !w.image) return "the k3s runtime needs an image";
  return undefined;
}

/** Why a token is implausible given the held one, or undefined. Lower tokens are refused elsewhere (stale). */
export function tokenProblem(
  token: telemetryV1.FencingToken,
  held: telemetryV1.FencingToken,
): string | undefined {
  const L = COMMAND_LIMITS;
  if (!Number.isSafeInteger(token.term) || token.term < 0 || token.term > L.maxTerm)
    return `term ${token.term} is out of range`;
  if (
    !Number.isSafeInteger(token.planVersion) ||
    token.planVersion < 0 ||
    token.planVersion > L.maxPlanVersion
  )
    return `plan version ${token.planVersion} is out of range`;
  if (token.term > held.term + L.maxTermJump)
    return `term ${token.term} jumps more than ${L.maxTermJump} past the held term ${held.term}`;
  if (token.term === held.term && token.planVersion > held.planVersion + L.maxPlanJump)
    return `plan version ${token.planVersion} jumps more than ${L.maxPlanJump} past the held ${held.planVersion}`;
  return undefined;
}
