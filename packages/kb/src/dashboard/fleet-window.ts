// `GET /api/v1/series?from=MS[&to=MS]`: the first and the last sample of every device in a window, in one
// request. The overview's "last hour" needs each device's counters at the window's start; asking
// `/api/v1/devices/{name}/series` once per device would be thousands of requests on a large fleet. Added
// here, beside the dashboard, rather than in the REST app (it reads the same store the series route does).
import type { Hono } from "hono";
import { authenticate, authorize } from "../api/auth.js";
import { ApiError } from "../api/errors.js";
import type { Sample, Store } from "../store/store.js";

export interface DeviceWindow {
  first: Sample;
  last: Sample;
}

/** The last sample at or before `toMs`, looking back a little further each time (samples are sparse). */
async function lastSample(
  store: Store,
  device: string,
  fromMs: number,
  toMs: number,
): Promise<Sample | undefined> {
  for (const backMs of [60_000, 600_000]) {
    const rows = await store.series(device, Math.max(fromMs, toMs - backMs), toMs, 1000);
    if (rows.length) return rows[rows.length - 1];
  }
  return undefined;
}

export function mountFleetWindow(app: Hono, o: { store: Store; nowMs: () => number }): void {
  app.get("/api/v1/series", async (c) => {
    const p = await authenticate(o.store, c.req.header("authorization"), o.nowMs());
    authorize(p, "viewer", "ListSeries");
    const now = o.nowMs();
    const from = Number(c.req.query("from") ?? now - 3_600_000);
    const to = Number(c.req.query("to") ?? now);
    if (!Number.isFinite(from) || !Number.isFinite(to) || from > to)
      throw new ApiError("INVALID_ARGUMENT", "from and to are Unix milliseconds with from ≤ to");
    const devices: Record<string, DeviceWindow> = {};
    let token = "";
    do {
      const page = await o.store.list("Device", { pageSize: 1000, ...(token ? { pageToken: token } : {}) });
      for (const d of page.items) {
        const [first] = await o.store.series(d.name, from, to, 1);
        if (!first) continue;
        devices[d.name] = { first, last: (await lastSample(o.store, d.name, from, to)) ?? first };
      }
      token = page.nextPageToken;
    } while (token);
    return c.json({ from, to, devices });
  });
}
