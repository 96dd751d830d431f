import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as loadYaml } from "yaml";

/**
 * An emulator of exactly the Kubernetes API subset the k3s runtime uses, for tests on machines where no API
 * server can run: discovery (/api/v1, /apis/apps/v1); server-side apply (PATCH, application/apply-patch+yaml,
 * fieldManager required, force) of Namespaces, Services and Deployments; list by equality label selector;
 * delete; and a pod list/watch fed by one emulated pod per Deployment. Errors are Status objects with the
 * real codes: 400 (bad request), 404 (not found), 409 (apply conflict with another field manager without
 * force), 415 (any other patch content type), 422 (invalid object).
 */
export interface K8sEmulator {
  url: string;
  /** every request, in order: method, path with query, content type */
  requests: { method: string; path: string; contentType?: string }[];
  get(
    kind: "Deployment" | "Service" | "Namespace" | "Pod",
    namespace: string,
    name: string,
  ): K8sObject | undefined;
  /** all objects of a kind in a namespace (or all namespaces) */
  list(kind: "Deployment" | "Service" | "Namespace" | "Pod", namespace?: string): K8sObject[];
  /** sets a pod's status (emitting MODIFIED to watchers): simulate crash loops, failures */
  setPodStatus(deployment: string, namespace: string, status: Record<string, unknown>): void;
  /** creates an object as another tool would (kubectl, helm), owned by `manager` */
  seed(obj: K8sObject, manager: string): void;
  close(): Promise<void>;
}

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
};

const APPLY = "application/apply-patch+yaml";
const RESOURCES: Record<string, { group: string; kind: K8sObject["kind"]; namespaced: boolean }> = {
  namespaces: { group: "/api/v1", kind: "Namespace", namespaced: false },
  services: { group: "/api/v1", kind: "Service", namespaced: true },
  pods: { group: "/api/v1", kind: "Pod", namespaced: true },
  deployments: { group: "/apis/apps/v1", kind: "Deployment", namespaced: true },
};
const PATH_RE =
  /^(\/api\/v1|\/apis\/apps\/v1)(?:\/namespaces\/([^/]+)\/(services|pods|deployments)(?:\/([^/]+))?|\/(namespaces)(?:\/([^/]+))?)?$/;

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startK8sApiEmulator(): Promise<K8sEmulator> {
  const objects = new Map<string, K8sObject & { managers: Map<string, string> }>();
  const watchers = new Set<{ namespace: string; selector: Record<string, string>; res: ServerResponse }>();
  const requests: K8sEmulator["requests"] = [];
  let resourceVersion = 1;
  const key = (kind: string, ns: string | undefined, name: string) => `${kind}/${ns ?? ""}/${name}`;

  const emit = (type: "ADDED" | "MODIFIED" | "DELETED", pod: K8sObject) => {
    for (const w of watchers)
      if (w.namespace === pod.metadata.namespace && matches(pod.metadata.labels, w.selector))
        w.res.write(`${JSON.stringify({ type, object: strip(pod) })}\n`);
  };
  const put = (obj: K8sObject, manager: string, applied: string) => {
    const k = key(obj.kind, obj.metadata.namespace, obj.metadata.name);
    const existing = objects.get(k);
    const managers = existing?.managers ?? new Map<string, string>();
    managers.set(manager, applied);
    obj.metadata.resourceVersion = String(++resourceVersion);
    obj.metadata.uid = (existing?.metadata.uid as string | undefined) ?? `uid-${resourceVersion}`;
    obj.metadata.managedFields = [...managers.keys()].map((m) => ({ manager: m, operation: "Apply" }));
    objects.set(k, Object.assign(obj, { managers }));
    if (obj.kind === "Deployment") syncPod(obj, existing);
  };
  const syncPod = (d: K8sObject, previous: K8sObject | undefined) => {
    const template = (d.spec?.["template"] ?? {}) as {
      metadata?: { labels?: Record<string, string> };
      spec?: unknown;
    };
    const fingerprint = JSON.stringify(template);
    if (previous && JSON.stringify(previous.spec?.["template"]) === fingerprint) return;
    removePod(d.metadata.name, d.metadata.namespace!);
    const pod: K8sObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${d.metadata.name}-${(resourceVersion * 2654435761) % 100000}`,
        namespace: d.metadata.namespace,
        labels: { ...template.metadata?.labels },
        ownerDeployment: d.metadata.name,
      },
      spec: template.spec as Record<string, unknown>,
      status: {
        phase: "Running",
        containerStatuses: [{ name: "main", ready: true, restartCount: 0, state: { running: {} } }],
      },
    };
    objects.set(
      key("Pod", pod.metadata.namespace, pod.metadata.name),
      Object.assign(pod, { managers: new Map() }),
    );
    emit("ADDED", pod);
  };
  const podOf = (deployment: string, ns: string) =>
    [...objects.values()].find(
      (o) => o.kind === "Pod" && o.metadata.namespace === ns && o.metadata["ownerDeployment"] === deployment,
    );
  const removePod = (deployment: string, ns: string) => {
    const pod = podOf(deployment, ns);
    if (!pod) return;
    objects.delete(key("Pod", ns, pod.metadata.name));
    emit("DELETED", pod);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://emulator");
    const contentType = req.headers["content-type"]?.split(";")[0]?.trim();
    requests.push({ method: req.method ?? "", path: `${url.pathname}${url.search}`, contentType });
    const m = PATH_RE.exec(url.pathname);
    if (!m)
      throw new ApiError(
        404,
        "NotFound",
        `the server could not find the requested resource (${url.pathname})`,
      );
    const [, group, ns, nsResource, nsName, clusterResource, clusterName] = m;
    const resource = nsResource ?? clusterResource;
    const name = nsName ?? clusterName;
    const body = await readBody(req);
    if (!resource) {
      if (req.method !== "GET") throw new ApiError(405, "MethodNotAllowed", "discovery is read-only");
      return json(res, 200, discovery(group!));
    }
    const info = RESOURCES[resource]!;
    if (info.group !== group) throw new ApiError(404, "NotFound", `${resource} is not served by ${group}`);
    const kind = info.kind;
    if (!name) {
      if (req.method !== "GET") throw new ApiError(405, "MethodNotAllowed", `${req.method} on a collection`);
      const selector = parseSelector(url.searchParams.get("labelSelector"));
      if (url.searchParams.get("watch") === "true") {
        if (kind !== "Pod") throw new ApiError(405, "MethodNotAllowed", "only pods can be watched here");
        res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
        const w = { namespace: ns!, selector, res };
        watchers.add(w);
        req.on("close", () => watchers.delete(w));
        for (const pod of list(kind, ns)) if (matches(pod.metadata.labels, selector)) emit1(res, pod);
        return;
      }
      const items = list(kind, ns).filter((o) => matches(o.metadata.labels, selector));
      return json(res, 200, {
        apiVersion: group === "/api/v1" ? "v1" : "apps/v1",
        kind: `${kind}List`,
        metadata: { resourceVersion: String(resourceVersion) },
        items: items.map(strip),
      });
    }
    const k = key(kind, ns, name);
    if (req.method === "GET") {
      const obj = objects.get(k);
      if (!obj) throw notFound(resource, name);
      return json(res, 200, strip(obj));
    }
    if (req.method === "DELETE") {
      const obj = objects.get(k);
      if (!obj) throw notFound(resource, name);
      objects.delete(k);
      if (kind === "Deployment") removePod(name, ns!);
      return json(res, 200, {
        apiVersion: "v1",
        kind: "Status",
        status: "Success",
        details: { name, kind: resource },
      });
    }
    if (req.method !== "PATCH") throw new ApiError(405, "MethodNotAllowed", `${req.method} is not supported`);
    if (contentType !== APPLY)
      throw new ApiError(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: ${APPLY}`,
      );
    const manager = url.searchParams.get("fieldManager");
    if (!manager) throw new ApiError(400, "BadRequest", "fieldManager is required for apply requests");
    let obj: K8sObject;
    try {
      obj = loadYaml(body) as K8sObject;
    } catch (err) {
      throw new ApiError(400, "BadRequest", `error decoding YAML: ${(err as Error).message}`);
    }
    if (obj?.metadata?.name !== name)
      throw new ApiError(
        400,
        "BadRequest",
        `the name of the object (${obj?.metadata?.name}) does not match the name on the URL (${name})`,
      );
    if (obj.kind !== kind)
      throw new ApiError(400, "BadRequest", `kind ${obj.kind} sent to the ${resource} endpoint`);
    if (info.namespaced) {
      if ((obj.metadata.namespace ?? ns) !== ns)
        throw new ApiError(
          400,
          "BadRequest",
          "the namespace of the object does not match the namespace on the URL",
        );
      obj.metadata.namespace = ns;
      if (!objects.has(key("Namespace", undefined, ns!))) throw notFound("namespaces", ns!);
    }
    const problems = validate(obj);
    if (problems.length > 0)
      throw new ApiError(422, "Invalid", `${kind} "${name}" is invalid: ${problems.join("; ")}`);
    const existing = objects.get(k);
    const applied = JSON.stringify(obj.spec ?? {});
    const force = url.searchParams.get("force") === "true";
    if (existing && !force) {
      const others = [...existing.managers.entries()].filter(([mgr]) => mgr !== manager);
      const conflicting = others.filter(([, spec]) => spec !== applied);
      if (conflicting.length > 0 && JSON.stringify(existing.spec ?? {}) !== applied)
        throw new ApiError(
          409,
          "Conflict",
          `Apply failed with ${conflicting.length} conflict(s): conflict with "${conflicting[0]![0]}": .spec`,
        );
    }
    if (existing && force)
      for (const [mgr] of existing.managers) if (mgr !== manager) existing.managers.delete(mgr);
    put(obj, manager, applied);
    return json(res, existing ? 200 : 201, strip(objects.get(k)!));
  };

  const list = (kind: string, ns?: string) =>
    [...objects.values()].filter((o) => o.kind === kind && (ns === undefined || o.metadata.namespace === ns));

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof ApiError ? err : new ApiError(500, "InternalError", String(err));
      json(res, e.code, {
        apiVersion: "v1",
        kind: "Status",
        status: "Failure",
        message: e.message,
        reason: e.reason,
        code: e.code,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get: (kind, namespace, name) => {
      const o = objects.get(key(kind, kind === "Namespace" ? undefined : namespace, name));
      return o && strip(o);
    },
    list: (kind, namespace) => list(kind, namespace).map(strip),
    setPodStatus(deployment, namespace, status) {
      const pod = podOf(deployment, namespace);
      if (!pod) throw new Error(`no pod for deployment ${namespace}/${deployment}`);
      pod.status = status;
      emit("MODIFIED", pod);
    },
    seed(obj, manager) {
      put(structuredClone(obj), manager, JSON.stringify(obj.spec ?? {}));
    },
    async close() {
      for (const w of watchers) w.res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function emit1(res: ServerResponse, pod: K8sObject): void {
  res.write(`${JSON.stringify({ type: "ADDED", object: strip(pod) })}\n`);
}

function strip(o: K8sObject & { managers?: unknown }): K8sObject {
  const { managers: _managers, ...rest } = o;
  return structuredClone(rest) as K8sObject;
}

function notFound(resource: string, name: string): ApiError {
  return new ApiError(404, "NotFound", `${resource} "${name}" not found`);
}

function discovery(group: string) {
  const resources = Object.entries(RESOURCES)
    .filter(([, r]) => r.group === group)
    .map(([name, r]) => ({
      name,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: ["get", "list", "watch", "patch", "delete"],
    }));
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group === "/api/v1" ? "v1" : "apps/v1",
    resources,
  };
}

function validate(obj: K8sObject): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(obj.metadata.name) || obj.metadata.name.length > 63)
    problems.push("metadata.name: Invalid value: must be a DNS-1123 label");
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {}))
    if (typeof v !== "string" || v.length > 63 || !/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(v))
      problems.push(`metadata.labels: Invalid value: "${String(v)}" for ${k}`);
  if (obj.kind === "Deployment") {
    const spec = obj.spec as {
      selector?: { matchLabels?: Record<string, string> };
      template?: {
        metadata?: { labels?: Record<string, string> };
        spec?: { containers?: { name?: string; image?: string }[] };
      };
    };
    const containers = spec?.template?.spec?.containers ?? [];
    if (containers.length === 0) problems.push("spec.template.spec.containers: Required value");
    containers.forEach((c, i) => {
      if (!c.image) problems.push(`spec.template.spec.containers[${i}].image: Required value`);
      if (!c.name) problems.push(`spec.template.spec.containers[${i}].name: Required value`);
    });
    const selector = spec?.selector?.matchLabels;
    if (!selector || Object.keys(selector).length === 0) problems.push("spec.selector: Required value");
    else if (!matches(spec.template?.metadata?.labels, selector))
      problems.push(
        "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`",
      );
  }
  if (obj.kind === "Service") {
    const ports = (obj.spec as { ports?: { port?: number }[] } | undefined)?.ports ?? [];
    if (ports.length === 0) problems.push("spec.ports: Required value");
    ports.forEach((p, i) => {
      if (!p.port || p.port < 1 || p.port > 65535) problems.push(`spec.ports[${i}].port: Invalid value`);
    });
  }
  return problems;
}

function parseSelector(text: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(",")) {
    const m = /^([^=!]+)==?([^=]*)$/.exec(part.trim());
    if (!m)
      throw new ApiError(
        400,
        "BadRequest",
        `unable to parse requirement: ${part} (this emulator supports k=v)`,
      );
    out[m[1]!] = m[2]!;
  }
  return out;
}

function matches(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}
