// Regions and sites as an SVG (no map tiles: nothing is fetched from outside), each device a dot coloured
// by its verdict, with a glyph and its name so the colour is never the only cue. Each dot links to the
// device's page.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";

const DOT = 22;
/** Room for a dot and a name of up to LABEL_CHARS characters beneath it, side by side without overlap. */
const CELL = 96;
const LABEL_CHARS = 14;
const ROW = 68;
const PER_ROW = 4;
const SITE_PAD = 14;
const GLYPH = { alive: "✓", suspect: "?", dead: "✕", unreachable: "⌁", unknown: "·" };

function layout(regions, width) {
  const out = [];
  let y = 0;
  for (const region of regions) {
    const bySite = new Map();
    for (const d of region.devices) bySite.set(d.site, [...(bySite.get(d.site) ?? []), d]);
    const sites = [];
    let x = SITE_PAD;
    let rowY = y + 40;
    let rowH = 0;
    for (const [site, devices] of [...bySite.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const perRow = Math.max(1, Math.min(PER_ROW, Math.floor((width - 4 * SITE_PAD) / CELL)));
      const cols = Math.min(perRow, devices.length);
      const w = Math.max(150, cols * CELL + SITE_PAD * 2);
      const h = 36 + Math.ceil(devices.length / perRow) * ROW;
      if (x + w > width - SITE_PAD && x > SITE_PAD) {
        x = SITE_PAD;
        rowY += rowH + SITE_PAD;
        rowH = 0;
      }
      sites.push({ site, devices, x, y: rowY, w, h, perRow, tier: devices[0]?.tier ?? "" });
      x += w + SITE_PAD;
      rowH = Math.max(rowH, h);
    }
    const height = rowY + rowH + SITE_PAD - y;
    out.push({ region, y, height, sites });
    y += height + 12;
  }
  return { bands: out, height: Math.max(y, 80) };
}

/** The drawing's width follows the window's, so a phone gets sites stacked rather than a tiny picture. */
function useWidth() {
  const measure = () => Math.max(320, Math.min(960, (document.documentElement.clientWidth || 960) - 32));
  const [width, setWidth] = useState(measure());
  useEffect(() => {
    const on = () => setWidth(measure());
    addEventListener("resize", on);
    return () => removeEventListener("resize", on);
  }, []);
  return width;
}

export function Topology({ regions }) {
  const width = useWidth();
  const { bands, height } = layout(regions, width);
  return html`<svg class="topology" viewBox="0 0 ${width} ${height}" role="group"
    aria-label="Regions, sites and devices by verdict">
    ${bands.map(
      (b) => html`<g class="region" data-region=${b.region.name}>
        <rect x="1" y=${b.y + 1} width=${width - 2} height=${b.height - 2} rx="10" class="region-box" />
        <text x="16" y=${b.y + 26} class="region-label">
          ${b.region.name || "(no region)"}
          <tspan class="muted">${
            b.region.leader
              ? `  · fog leader ${b.region.leader}, term ${b.region.term ?? "?"}`
              : "  · no leader reported"
          }</tspan>
        </text>
        ${b.sites.map(
          (s) => html`<g class="site" data-site=${s.site}>
            <rect x=${s.x} y=${s.y} width=${s.w} height=${s.h} rx="8" class="site-box" />
            <text x=${s.x + 10} y=${s.y + 22} class="site-label">${s.site || "(no site)"}<tspan class="muted"> ${s.tier}</tspan></text>
            ${s.devices.map((d, i) => {
              const cx = s.x + SITE_PAD + (i % s.perRow) * CELL + CELL / 2;
              const cy = s.y + 36 + Math.floor(i / s.perRow) * ROW + DOT;
              return html`<a href=${`#/devices/${encodeURIComponent(d.name)}`} class="dot"
                data-device=${d.name} data-verdict=${d.verdict}
                aria-label=${`${d.name}: ${d.verdict}${d.workloads.length ? `, runs ${d.workloads.join(", ")}` : ""}`}>
                <title>${d.name}: ${d.verdict}${d.verdictReason ? ` (${d.verdictReason})` : ""}</title>
                <circle cx=${cx} cy=${cy} r=${DOT / 1.6} class=${`v-${d.verdict}`} />
                <text x=${cx} y=${cy + 5} class="glyph" aria-hidden="true">${GLYPH[d.verdict]}</text>
                <text x=${cx} y=${cy + DOT + 10} class="dot-label" aria-hidden="true">${
                  d.name.length > LABEL_CHARS ? `${d.name.slice(0, LABEL_CHARS - 1)}…` : d.name
                }</text>
              </a>`;
            })}
          </g>`,
        )}
      </g>`,
    )}
  </svg>`;
}
