// Resource names (AIP-122): `applications/bookinfo` (namespace default) or
// `namespaces/team-a/applications/bookinfo`.
import { kindInfo } from "../kinds.js";
import type { ResourceKey } from "../store/store.js";
import { ApiError } from "./errors.js";

export const DEFAULT_NAMESPACE = "default";

export function parseName(name: string): ResourceKey {
  const parts = name.split("/");
  let ns = DEFAULT_NAMESPACE;
  let rest = parts;
  if (parts[0] === "namespaces" && parts.length === 4) {
    ns = parts[1]!;
    rest = parts.slice(2);
  }
  const info = rest.length === 2 ? kindInfo(rest[0]!) : undefined;
  if (!info || !rest[1])
    throw new ApiError(
      "INVALID_ARGUMENT",
      `resource name "${name}" is not {collection}/{name} (e.g. applications/bookinfo) or namespaces/{ns}/{collection}/{name}`,
    );
  return { kind: info.kind, namespace: ns, name: rest[1] };
}

export function formatName(key: ResourceKey): string {
  const info = kindInfo(key.kind);
  const base = `${info?.collection ?? key.kind.toLowerCase()}/${key.name}`;
  return key.namespace === DEFAULT_NAMESPACE ? base : `namespaces/${key.namespace}/${base}`;
}
