import { existsSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { telemetryV1 } from "@qonnect/proto";
import type { AgentConfig } from "../config/config.js";
import { checkKubeAuth } from "./kube-auth.js";
import { type Runtime, RuntimeError, workloadKey } from "./runtime.js";

const { WorkloadState } = telemetryV1;

/** Where K3s writes its kubeconfig. */
export const K3S_KUBECONFIG = "/etc/rancher/k3s/k3s.yaml";
export const FIELD_MANAGER = "qonnect";
export const LABELS = {
  app: "qonnect.io/app",
  service: "qonnect.io/service",
  replica: "qonnect.io/replica",
  plan: "qonnect.io/plan",
  device: "qonnect.io/device",
  managedBy: "app.kubernetes.io/managed-by",
} as const;

export interface K3sRuntimeOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  /** the Kubernetes node of this device: every workload is pinned to it */
  node: string;
  device: string;
  /** re-establishes a dropped pod watch after this long */
  rewatchMs?: number;
}

interface PodView {
  key: string;
  state: telemetryV1.WorkloadState;
  restarts: number;
  message: string;
}

/**
 * Runs workloads on the device's K3s: one Deployment (replicas 1, pinned to this node) and one Service per
 * workload, written with server-side apply (field manager `qonnect`, application/apply-patch+yaml) and
 * labelled qonnect.io/app|service|replica|plan|device. Pods are watched for status. Whatever carries this
 * device's labels but is no longer desired is deleted by name; namespaces are never deleted.
 */
export class K3sRuntime implements Runtime {
  readonly kind = "k3s" as const;
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly apps: k8s.AppsV1Api;
  private readonly core: k8s.CoreV1Api;
  private desired = new Map<string, telemetryV1.WorkloadSpec>();
  private readonly pods = new Map<string, PodView>();
  private watchAbort?: AbortController;
  private watchTimer?: NodeJS.Timeout;
  private closed = false;
  private namespaceApplied = false;

  constructor(private readonly options: K3sRuntimeOptions) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(options.kubeConfig);
    this.apps = options.kubeConfig.makeApiClient(k8s.AppsV1Api);
    this.core = options.kubeConfig.makeApiClient(k8s.CoreV1Api);
  }

  static fromConfig(config: AgentConfig): K3sRuntime {
    const kc = new k8s.KubeConfig();
    const file = config.runtime.kubeconfig ?? (existsSync(K3S_KUBECONFIG) ? K3S_KUBECONFIG : undefined);
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
    checkKubeAuth(kc);
    return new K3sRuntime({
      kubeConfig: kc,
      namespace: config.runtime.namespace,
      node: config.runtime.node,
      device: config.device,
    });
  }

  private get selector(): string {
    return `${LABELS.managedBy}=${FIELD_MANAGER},${LABELS.device}=${this.options.device}`;
  }

  async apply(desired: telemetryV1.WorkloadSpec[]): Promise<void> {
    if (this.closed) throw new RuntimeError("the k3s runtime is closed");
    this.desired = new Map(desired.map((s) => [workloadKey(s), s]));
    this.startWatch();
    if (!this.namespaceApplied) {
      await this.serverSideApply(this.namespaceObject(), "namespace");
      this.namespaceApplied = true;
    }
    for (const [key, spec] of this.desired) {
      await this.serverSideApply(this.deployment(spec), key);
      if (spec.ports.length > 0) await this.serverSideApply(this.service(spec), key);
    }
    await this.prune();
  }

  async status(): Promise<telemetryV1.WorkloadStatus[]> {
    return [...this.desired.values()].map((spec) => {
      const pod = this.pods.get(workloadKey(spec));
      return telemetryV1.WorkloadStatus.fromPartial({
        app: spec.app,
        service: spec.service,
        replica: spec.replica,
        state: pod?.state ?? WorkloadState.WORKLOAD_STATE_PENDING,
        restarts: pod?.restarts ?? 0,
        message: pod?.message ?? "",
      });
    });
  }

  /** Stops watching. Workloads stay: on K3s they outlive the agent, and the next command reconciles them. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.watchTimer);
    this.watchAbort?.abort();
  }

  private async serverSideApply(obj: k8s.KubernetesObject, what: string): Promise<void> {
    try {
      await this.objects.patch(
        obj,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        k8s.PatchStrategy.ServerSideApply,
      );
    } catch (err) {
      throw new RuntimeError(
        `server-side apply of ${obj.kind} ${obj.metadata?.name} failed: ${apiMessage(err)}`,
        what,
        {
          cause: err,
        },
      );
    }
  }

  /** Deletes this device's Deployments and Services that no desired workload names. */
  private async prune(): Promise<void> {
    const ns = this.options.namespace;
    const keep = new Set([...this.desired.values()].map((s) => resourceName(s)));
    const deployments = await this.apps.listNamespacedDeployment({
      namespace: ns,
      labelSelector: this.selector,
    });
    for (const d of deployments.items) {
      const name = d.metadata?.name;
      if (name && !keep.has(name))
        await ignoreNotFound(
          this.apps.deleteNamespacedDeployment({ name, namespace: ns, propagationPolicy: "Foreground" }),
        );
    }
    const services = await this.core.listNamespacedService({ namespace: ns, labelSelector: this.selector });
    for (const s of services.items) {
      const name = s.metadata?.name;
      if (name && !keep.has(name))
        await ignoreNotFound(this.core.deleteNamespacedService({ name, namespace: ns }));
    }
  }

  private startWatch(): void {
    if (this.watchAbort || this.closed) return;
    const watch = new k8s.Watch(this.options.kubeConfig);
    const restart = () => {
      this.watchAbort = undefined;
      if (this.closed) return;
      this.watchTimer = setTimeout(() => this.startWatch(), this.options.rewatchMs ?? 2000);
    };
    this.watchAbort = new AbortController();
    watch
      .watch(
        `/api/v1/namespaces/${this.options.namespace}/pods`,
        { labelSelector: this.selector },
        (type: string, pod: k8s.V1Pod) => this.podEvent(type, pod),
        () => restart(),
      )
      .then(
        (controller) => {
          if (this.closed) controller.abort();
          else this.watchAbort = controller;
        },
        () => restart(),
      );
  }

  private podEvent(type: string, pod: k8s.V1Pod): void {
    const l = pod.metadata?.labels ?? {};
    const key = `${l[LABELS.app]}/${l[LABELS.service]}/${l[LABELS.replica]}`;
    if (type === "DELETED") {
      if (this.pods.get(key)?.key === key) this.pods.delete(key);
      return;
    }
    this.pods.set(key, { key, ...podState(pod) });
  }

  private labels(spec: telemetryV1.WorkloadSpec): Record<string, string> {
    return {
      [LABELS.app]: spec.app,
      [LABELS.service]: spec.service,
      [LABELS.replica]: String(spec.replica),
      [LABELS.plan]: spec.plan || "none",
      [LABELS.device]: this.options.device,
      [LABELS.managedBy]: FIELD_MANAGER,
    };
  }

  private namespaceObject(): k8s.V1Namespace {
    return {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: this.options.namespace, labels: { [LABELS.managedBy]: FIELD_MANAGER } },
    };
  }

  private deployment(spec: telemetryV1.WorkloadSpec): k8s.V1Deployment {
    const labels = this.labels(spec);
    const match = {
      [LABELS.app]: spec.app,
      [LABELS.service]: spec.service,
      [LABELS.replica]: String(spec.replica),
    };
    const env = [
      ...Object.entries(spec.env).map(([name, value]) => ({ name, value })),
      { name: "QONNECT_APP", value: spec.app },
      { name: "QONNECT_SERVICE", value: spec.service },
      { name: "QONNECT_CALLS", value: spec.calls.map((c) => `${c.service}=${c.host}:${c.port}`).join(",") },
      ...(spec.ports[0] === undefined ? [] : [{ name: "PORT", value: String(spec.ports[0]) }]),
    ];
    const requests: Record<string, string> = {};
    if (spec.cpuMillis > 0) requests["cpu"] = `${spec.cpuMillis}m`;
    if (spec.memoryBytes > 0) requests["memory"] = String(spec.memoryBytes);
    return {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: resourceName(spec), namespace: this.options.namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: match },
        template: {
          metadata: { labels },
          spec: {
            nodeSelector: { "kubernetes.io/hostname": this.options.node },
            containers: [
              {
                name: dnsLabel(spec.service),
                image: spec.image,
                env,
                ports: spec.ports.map((p) => ({ containerPort: p })),
                resources: {
                  requests,
                  limits: spec.memoryBytes > 0 ? { memory: String(spec.memoryBytes) } : {},
                },
              },
            ],
          },
        },
      },
    };
  }

  private service(spec: telemetryV1.WorkloadSpec): k8s.V1Service {
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: resourceName(spec), namespace: this.options.namespace, labels: this.labels(spec) },
      spec: {
        selector: {
          [LABELS.app]: spec.app,
          [LABELS.service]: spec.service,
          [LABELS.replica]: String(spec.replica),
        },
        ports: spec.ports.map((p) => ({ name: `p${p}`, port: p, targetPort: p })),
      },
    };
  }
}

/** `app-service-replica` as a DNS-1123 label (≤ 63 characters). */
export function resourceName(spec: { app: string; service: string; replica: number }): string {
  return dnsLabel(`${spec.app}-${spec.service}-${spec.replica}`);
}

function dnsLabel(s: string): string {
  const clean = s
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
  return clean.slice(0, 63).replace(/-+$/, "") || "x";
}

/** Maps a pod to a workload state: Pending, Running (all containers ready), Restarting (back-off), Failed. */
export function podState(pod: k8s.V1Pod): Omit<PodView, "key"> {
  const statuses = pod.status?.containerStatuses ?? [];
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const waiting = statuses.find((c) => c.state?.waiting)?.state?.waiting;
  const terminated = statuses.find((c) => c.state?.terminated)?.state?.terminated;
  const message = waiting?.message ?? waiting?.reason ?? terminated?.reason ?? pod.status?.message ?? "";
  const phase = pod.status?.phase;
  let state: telemetryV1.WorkloadState = WorkloadState.WORKLOAD_STATE_PENDING;
  if (phase === "Failed") state = WorkloadState.WORKLOAD_STATE_FAILED;
  else if (phase === "Succeeded") state = WorkloadState.WORKLOAD_STATE_STOPPED;
  else if (waiting?.reason === "CrashLoopBackOff" || (terminated && phase === "Running"))
    state = WorkloadState.WORKLOAD_STATE_RESTARTING;
  else if (phase === "Running") state = WorkloadState.WORKLOAD_STATE_RUNNING;
  return { state, restarts, message };
}

function apiMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  let body = e.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      // keep the text
    }
  }
  const message = (body as { message?: string } | undefined)?.message;
  return e.code ? `HTTP ${e.code}${message ? `: ${message}` : ""}` : (e.message ?? String(err));
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}
