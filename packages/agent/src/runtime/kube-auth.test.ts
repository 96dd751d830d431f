import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { checkKubeAuth } from "./kube-auth.js";

function kubeConfig(user: object): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "k3s", server: "https://127.0.0.1:6443", skipTLSVerify: true }],
    users: [{ name: "u", ...user }],
    contexts: [{ name: "c", cluster: "k3s", user: "u" }],
    currentContext: "c",
  });
  return kc;
}

describe("checkKubeAuth", () => {
  it("accepts client certificates and tokens without WebAssembly", () => {
    expect(() => checkKubeAuth(kubeConfig({ certData: "x", keyData: "y" }), false)).not.toThrow();
    expect(() => checkKubeAuth(kubeConfig({ token: "t" }), false)).not.toThrow();
  });

  it("refuses an OIDC login without WebAssembly, with what to do", () => {
    const oidc = kubeConfig({ authProvider: { name: "oidc", config: { "id-token": "x" } } });
    expect(() => checkKubeAuth(oidc, false)).toThrow(/without --lite-mode/);
    expect(() => checkKubeAuth(oidc, true)).not.toThrow();
  });
});
