// The wire shape of a resource (REST JSON, and the fields of control.v1.Resource).
import { API_VERSION } from "@qonnect/core";
import type { StoredResource } from "../store/store.js";

export interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    uid: string;
    resourceVersion: number;
    generation: number;
    etag: string;
    createTimeMs: number;
    updateTimeMs: number;
  };
  spec: unknown;
  status: unknown;
}

export function toApiObject(r: StoredResource): ApiObject {
  return {
    apiVersion: API_VERSION,
    kind: r.kind,
    metadata: {
      name: r.name,
      namespace: r.namespace,
      labels: r.labels,
      annotations: r.annotations,
      uid: r.uid,
      resourceVersion: r.resourceVersion,
      generation: r.generation,
      etag: r.etag,
      createTimeMs: r.createTimeMs,
      updateTimeMs: r.updateTimeMs,
    },
    spec: r.spec,
    status: r.status,
  };
}
