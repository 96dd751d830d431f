// Numbers, times and units as people read them.
export const fmt = (v, digits = 1) =>
  v === undefined || v === null || Number.isNaN(v) ? "–" : Number(v).toFixed(digits);
export const pct = (v) => (v === undefined || v === null ? "–" : `${Math.round(v * 100)} %`);
export const watts = (v) => (v === undefined ? "–" : `${fmt(v, v < 10 ? 2 : 1)} W`);
export const eur = (v, digits = 3) => (v === undefined ? "–" : `€${Number(v).toFixed(digits)}`);

export function ago(ms) {
  if (!ms) return "–";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** Day and time, for instants that may be another day (job windows). */
export const when = (ms) =>
  ms
    ? new Date(ms).toLocaleString([], {
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        hour12: false,
      })
    : "–";

export const clock = (ms) => (ms ? new Date(ms).toLocaleTimeString([], { hour12: false }) : "–");
