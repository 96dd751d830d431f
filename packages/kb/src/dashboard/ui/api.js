// The dashboard's only way in: the Knowledge Base's REST API and its watch stream (server-sent events).
// The session cookie authenticates every request; writes add the dashboard header (see session.ts).

export class HttpError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.name = "HttpError";
    this.status = status;
    this.body = body;
  }
}

export async function getJson(path) {
  const r = await fetch(path, { headers: { accept: "application/json" }, credentials: "same-origin" });
  const body = await r.json().catch(() => undefined);
  if (!r.ok) throw new HttpError(r.status, body);
  return body;
}

export async function postJson(path, data) {
  const r = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-qonnect-dashboard": "1" },
    body: JSON.stringify(data),
  });
  const body = await r.json().catch(() => undefined);
  if (!r.ok) throw new HttpError(r.status, body);
  return body;
}

/** Every item of a collection (follows page tokens) and the store's version when the first page was read. */
export async function listAll(collection) {
  const items = [];
  let token = "";
  let version;
  do {
    const q = new URLSearchParams({ pageSize: "1000" });
    if (token) q.set("pageToken", token);
    const page = await getJson(`/api/v1/${collection}?${q}`);
    items.push(...page.items);
    version ??= page.resourceVersion;
    token = page.nextPageToken;
  } while (token);
  return { items, version: version ?? 0 };
}

/** The newest `keep` events (the API lists them oldest first, so every page is read). */
export async function recentEvents(keep = 500) {
  const out = [];
  let token = "";
  do {
    const q = new URLSearchParams({ pageSize: "1000" });
    if (token) q.set("pageToken", token);
    const page = await getJson(`/api/v1/events?${q}`);
    out.push(...page.events);
    if (out.length > keep) out.splice(0, out.length - keep);
    token = page.nextPageToken;
  } while (token);
  return out.reverse();
}

export const COLLECTIONS = {
  Application: "applications",
  Job: "jobs",
  Inventory: "inventories",
  Device: "devices",
  Region: "regions",
  Placement: "placements",
  Signal: "signals",
};
