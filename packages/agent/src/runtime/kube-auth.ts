import type { KubeConfig } from "@kubernetes/client-node";
import { RuntimeError } from "./runtime.js";

/**
 * The agent runs under `--lite-mode` (node-flags.ts), which has no WebAssembly. The Kubernetes client talks to
 * the API server through node-fetch (node:http) except for OIDC logins, whose openid-client uses the global
 * `fetch` and with it WebAssembly. Says so at start-up instead of at the first token refresh.
 */
export function checkKubeAuth(kc: KubeConfig, hasWasm = "WebAssembly" in globalThis): void {
  const provider = kc.getCurrentUser()?.authProvider?.name;
  if (provider === "oidc" && !hasWasm)
    throw new RuntimeError(
      "the kubeconfig's user logs in with OIDC, which needs WebAssembly: start the agent without --lite-mode",
    );
}
