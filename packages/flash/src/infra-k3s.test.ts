// infra/k3s validated against the Kubernetes API schemas (kubernetes-models' OpenAPI-derived validators), since
// no API server runs here; plus the cross-references kubectl would only notice at run time.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "./firmware-scripts.js";

const DIR = join(REPO_ROOT, "infra/k3s");
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form until validated
  spec?: any;
};

function objects(): { file: string; obj: K8sObject }[] {
  const out: { file: string; obj: K8sObject }[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml"))
    for (const doc of parseAllDocuments(readFileSync(join(DIR, file), "utf8"))) {
      expect(doc.errors, file).toEqual([]);
      out.push({ file, obj: doc.toJS() as K8sObject });
    }
  return out;
}

async function model(apiVersion: string, kind: string) {
  const path = apiVersion.includes("/")
    ? `kubernetes-models/${apiVersion}/${kind}`
    : `kubernetes-models/v1/${kind}`;
  const mod = await import(path);
  return mod[kind] as new (
    data: unknown,
  ) => { validate(): void };
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("infra/k3s manifests (Kubernetes API schemas, no API server)", () => {
  const all = objects();

  it("every object validates against its Kubernetes schema", async () => {
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const { file, obj } of all) {
      const Model = await model(obj.apiVersion, obj.kind);
      expect(() => new Model(obj).validate(), `${file}: ${obj.kind}/${obj.metadata.name}`).not.toThrow();
    }
  });

  it("the validator does reject a broken manifest (a string port)", async () => {
    const sts = structuredClone(all.find((o) => o.obj.kind === "StatefulSet")?.obj) as K8sObject;
    sts.spec.template.spec.containers[0].ports[0].containerPort = "seven thousand";
    const Model = await model("apps/v1", "StatefulSet");
    expect(() => new Model(sts).validate()).toThrow(/containerPort/);
  });

  it("StatefulSets: a headless governing Service, volumes for their data, probes on /healthz and /readyz, a PDB", () => {
    const sets = all.filter((o) => o.obj.kind === "StatefulSet").map((o) => o.obj);
    expect(sets.map((s) => s.metadata.name).sort()).toEqual(["qonnect-fog-eu-central", "qonnect-kb"]);
    for (const s of sets) {
      const governing = all.find(
        (o) => o.obj.kind === "Service" && o.obj.metadata.name === s.spec.serviceName,
      )?.obj;
      expect(governing?.spec.clusterIP, s.metadata.name).toBe("None");
      const podLabels = s.spec.template.metadata.labels;
      expect(matches(s.spec.selector.matchLabels, podLabels)).toBe(true);
      expect(s.spec.volumeClaimTemplates).toHaveLength(1);
      const c = s.spec.template.spec.containers[0];
      const portNames = c.ports.map((p: { name: string }) => p.name);
      expect(c.readinessProbe.httpGet).toMatchObject({ path: "/readyz" });
      expect(c.livenessProbe.httpGet).toMatchObject({ path: "/healthz" });
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe])
        expect(portNames).toContain(probe.httpGet.port);
      const mounts = c.volumeMounts.map((m: { name: string }) => m.name);
      expect(mounts).toContain(s.spec.volumeClaimTemplates[0].metadata.name);
      const pdb = all.find(
        (o) => o.obj.kind === "PodDisruptionBudget" && matches(o.obj.spec.selector.matchLabels, podLabels),
      );
      expect(pdb, `${s.metadata.name} has a PodDisruptionBudget`).toBeDefined();
      const services = all.filter((o) => o.obj.kind === "Service" && matches(o.obj.spec.selector, podLabels));
      for (const svc of services)
        for (const p of svc.obj.spec.ports)
          expect(portNames, `${svc.obj.metadata.name}:${p.name}`).toContain(p.targetPort);
    }
  });

  it("the fog region keeps a Raft majority: 3 members, PDB minAvailable 2, members spread over nodes", () => {
    const fog = all.find(
      (o) => o.obj.kind === "StatefulSet" && o.obj.metadata.name.startsWith("qonnect-fog"),
    )?.obj;
    expect(fog?.spec.replicas).toBe(3);
    expect(fog?.spec.podManagementPolicy).toBe("Parallel");
    const pdb = all.find(
      (o) => o.obj.kind === "PodDisruptionBudget" && o.obj.metadata.name === fog?.metadata.name,
    )?.obj;
    expect(pdb?.spec.minAvailable).toBe(2);
    expect(
      fog?.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]
        .topologyKey,
    ).toBe("kubernetes.io/hostname");
  });

  it("every fog member finds its own fog.yaml (chosen by pod name) with its member number and the KB address", () => {
    const fog = all.find(
      (o) => o.obj.kind === "StatefulSet" && o.obj.metadata.name.startsWith("qonnect-fog"),
    )?.obj;
    const cm = all.find((o) => o.obj.kind === "ConfigMap" && o.obj.metadata.name === fog?.metadata.name)
      ?.obj as unknown as {
      data: Record<string, string>;
    };
    expect(fog?.spec.template.spec.containers[0].args.at(-1)).toBe("/etc/qonnect/fog/$(POD_NAME).yaml");
    for (let i = 0; i < (fog?.spec.replicas ?? 0); i++) {
      const text = cm.data[`${fog?.metadata.name}-${i}.yaml`] ?? "";
      const doc = parseAllDocuments(text)[0]?.toJS();
      expect(doc).toMatchObject({
        region: "eu-central",
        member: i + 1,
        kb: { address: "qonnect-kb.qonnect.svc.cluster.local:7443" },
      });
      expect(Object.keys(doc.peers)).toEqual(["1", "2", "3"]);
    }
  });

  it("kustomization.yaml lists every manifest", () => {
    const k = readFileSync(join(DIR, "kustomization.yaml"), "utf8");
    for (const f of new Set(all.map((o) => o.file))) expect(k).toContain(`- ${f}`);
  });
});
