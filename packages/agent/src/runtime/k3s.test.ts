import * as k8s from "@kubernetes/client-node";
import { telemetryV1 } from "@qonnect/proto";
import { waitFor } from "@qonnect/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type K8sEmulator, startK8sApiEmulator } from "../testing/k8s-emulator.js";
import { K3sRuntime, LABELS, resourceName } from "./k3s.js";
import { RuntimeError } from "./runtime.js";

const { WorkloadState } = telemetryV1;
const NS = "qonnect";

function kubeConfig(server: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "emu", server, skipTLSVerify: true }],
    users: [{ name: "emu" }],
    contexts: [{ name: "emu", cluster: "emu", user: "emu" }],
    currentContext: "emu",
  });
  return kc;
}

const spec = (service: string, extra: Partial<telemetryV1.WorkloadSpec> = {}) =>
  telemetryV1.WorkloadSpec.fromPartial({
    app: "bookinfo",
    service,
    replica: 0,
    image: `docker.io/istio/examples-bookinfo-${service}-v1:1.20.2`,
    ports: [9080],
    env: { LOG: "info" },
    cpuMillis: 500,
    memoryBytes: 256 * 2 ** 20,
    calls: [{ service: "details", host: "details.qonnect", port: 9080 }],
    plan: "plan-7",
    ...extra,
  });

async function call(emu: K8sEmulator, method: string, path: string, body?: unknown, contentType?: string) {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: contentType ? { "content-type": contentType } : {},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    code: res.status,
    body: (await res.json()) as { kind?: string; reason?: string; message?: string },
  };
}

describe("k3s runtime against the k8s API emulator", () => {
  let emu: K8sEmulator;
  let rt: K3sRuntime;
  beforeEach(async () => {
    emu = await startK8sApiEmulator();
    rt = new K3sRuntime({
      kubeConfig: kubeConfig(emu.url),
      namespace: NS,
      node: "pi5-a",
      device: "pi5-a",
      rewatchMs: 100,
    });
  });
  afterEach(async () => {
    await rt.close();
    await emu.close();
  }, 60_000);

  it("k8s API emulator contract: server-side apply of Deployment + Service, field manager qonnect, apply-patch+yaml", async () => {
    await rt.apply([spec("productpage")]);
    const patches = emu.requests.filter((r) => r.method === "PATCH");
    expect(patches.map((p) => p.path.split("?")[0])).toEqual([
      `/api/v1/namespaces/${NS}`,
      `/apis/apps/v1/namespaces/${NS}/deployments/bookinfo-productpage-0`,
      `/api/v1/namespaces/${NS}/services/bookinfo-productpage-0`,
    ]);
    for (const p of patches) {
      expect(p.contentType).toBe("application/apply-patch+yaml");
      expect(p.path).toMatch(/fieldManager=qonnect/);
      expect(p.path).toMatch(/force=true/);
    }
    const d = emu.get("Deployment", NS, "bookinfo-productpage-0")!;
    expect(d.metadata.labels).toMatchObject({
      [LABELS.app]: "bookinfo",
      [LABELS.service]: "productpage",
      [LABELS.plan]: "plan-7",
      [LABELS.device]: "pi5-a",
    });
    const pod = (d.spec as { template: { spec: k8s.V1PodSpec } }).template.spec;
    expect(pod.nodeSelector).toEqual({ "kubernetes.io/hostname": "pi5-a" });
    const c = pod.containers[0]!;
    expect(c.image).toBe("docker.io/istio/examples-bookinfo-productpage-v1:1.20.2");
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: "PORT", value: "9080" },
        { name: "QONNECT_SERVICE", value: "productpage" },
        { name: "QONNECT_CALLS", value: "details=details.qonnect:9080" },
        { name: "LOG", value: "info" },
      ]),
    );
    expect(c.resources?.requests).toEqual({ cpu: "500m", memory: String(256 * 2 ** 20) });
    expect(emu.get("Service", NS, "bookinfo-productpage-0")?.spec).toMatchObject({
      ports: [{ port: 9080, targetPort: 9080 }],
    });
  }, 60_000);

  it("k8s API emulator contract: pods are watched for status (running, crash loop)", async () => {
    await rt.apply([spec("details")]);
    await waitFor(async () => (await rt.status())[0]?.state === WorkloadState.WORKLOAD_STATE_RUNNING, {
      what: "the pod to run",
    });
    emu.setPodStatus("bookinfo-details-0", NS, {
      phase: "Running",
      containerStatuses: [
        {
          name: "details",
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: "CrashLoopBackOff" } },
        },
      ],
    });
    await waitFor(async () => (await rt.status())[0]?.state === WorkloadState.WORKLOAD_STATE_RESTARTING, {
      what: "the crash loop to show",
    });
    expect((await rt.status())[0]).toMatchObject({ restarts: 4, message: "CrashLoopBackOff" });
  }, 60_000);

  it("k8s API emulator contract: applying the same plan twice changes nothing; removed workloads are deleted by label", async () => {
    const foreign = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "someone-else", namespace: NS, labels: { app: "x" } },
      spec: {
        selector: { matchLabels: { app: "x" } },
        template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "x", image: "x" }] } },
      },
    };
    await rt.apply([spec("details"), spec("reviews")]);
    emu.seed(foreign, "kubectl");
    const podBefore = emu.list("Pod", NS).find((p) => p.metadata.labels?.[LABELS.service] === "details")!;
    await rt.apply([spec("details"), spec("reviews")]);
    const podAfter = emu.list("Pod", NS).find((p) => p.metadata.labels?.[LABELS.service] === "details")!;
    expect(podAfter.metadata.name).toBe(podBefore.metadata.name);

    await rt.apply([spec("details", { plan: "plan-8" })]);
    expect(
      emu
        .list("Deployment", NS)
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(["bookinfo-details-0", "someone-else"]);
    expect(emu.list("Service", NS).map((d) => d.metadata.name)).toEqual(["bookinfo-details-0"]);
    expect(emu.get("Deployment", NS, "bookinfo-details-0")?.metadata.labels?.[LABELS.plan]).toBe("plan-8");
    const deletes = emu.requests.filter((r) => r.method === "DELETE").map((r) => r.path.split("?")[0]);
    expect(deletes).toEqual([
      `/apis/apps/v1/namespaces/${NS}/deployments/bookinfo-reviews-0`,
      `/api/v1/namespaces/${NS}/services/bookinfo-reviews-0`,
    ]);
    const lists = emu.requests.filter((r) => r.method === "GET" && r.path.includes("labelSelector"));
    expect(decodeURIComponent(lists[0]!.path)).toContain(`${LABELS.device}=pi5-a`);
    expect(emu.get("Namespace", "", NS)).toBeDefined();
    expect(resourceName({ app: "Book_Info", service: "x", replica: 2 })).toBe("book-info-x-2");
  }, 60_000);

  it("k8s API emulator contract: status codes 404, 409, 415, 422 (and 400 without a field manager)", async () => {
    await rt.apply([spec("details")]);
    const path = `/apis/apps/v1/namespaces/${NS}/deployments/bookinfo-details-0`;
    const current = emu.get("Deployment", NS, "bookinfo-details-0")!;
    const changed = { ...current, spec: { ...current.spec, replicas: 3 } };
    expect(await call(emu, "DELETE", `/apis/apps/v1/namespaces/${NS}/deployments/missing`)).toMatchObject({
      code: 404,
      body: { kind: "Status", reason: "NotFound" },
    });
    expect(await call(emu, "GET", `/api/v1/namespaces/${NS}/services/missing`)).toMatchObject({ code: 404 });
    expect(
      await call(
        emu,
        "PATCH",
        `/apis/apps/v1/namespaces/elsewhere/deployments/x?fieldManager=m`,
        { ...current, metadata: { name: "x", namespace: "elsewhere" } },
        "application/apply-patch+yaml",
      ),
    ).toMatchObject({ code: 404, body: { message: 'namespaces "elsewhere" not found' } });
    expect(
      await call(emu, "PATCH", `${path}?fieldManager=kubectl`, changed, "application/apply-patch+yaml"),
    ).toMatchObject({
      code: 409,
      body: { reason: "Conflict" },
    });
    expect(
      await call(
        emu,
        "PATCH",
        `${path}?fieldManager=kubectl&force=true`,
        changed,
        "application/apply-patch+yaml",
      ),
    ).toMatchObject({ code: 200 });
    expect(
      await call(emu, "PATCH", `${path}?fieldManager=qonnect`, changed, "application/merge-patch+json"),
    ).toMatchObject({
      code: 415,
      body: { reason: "UnsupportedMediaType" },
    });
    expect(await call(emu, "PATCH", path, changed, "application/apply-patch+yaml")).toMatchObject({
      code: 400,
    });
    const invalid = { ...current, spec: { ...current.spec, template: { spec: { containers: [] } } } };
    expect(
      await call(emu, "PATCH", `${path}?fieldManager=qonnect`, invalid, "application/apply-patch+yaml"),
    ).toMatchObject({
      code: 422,
      body: { reason: "Invalid" },
    });
  }, 60_000);

  it("k8s API emulator contract: an invalid workload surfaces the 422 as a RuntimeError", async () => {
    const err = await rt.apply([spec("details", { image: "" })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/HTTP 422.*image: Required value/);
  }, 60_000);
});
