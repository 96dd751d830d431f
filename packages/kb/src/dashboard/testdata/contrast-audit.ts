// WCAG AA on the page as the browser draws it: every element with text of its own, its computed colour
// against the colour behind it (the nearest ancestor with an opaque background; for SVG text, the shape it
// sits on), 4.5:1 for normal text and 3:1 for large text (24 px, or 18.66 px bold). Colours with alpha are
// blended over what is behind them. Returns what fails, so a test can show it.
import type { Page } from "playwright-core";

export interface ContrastFailure {
  text: string;
  ratio: number;
  needed: number;
  fg: string;
  bg: string;
}

export async function auditContrast(page: Page): Promise<{ checked: number; failures: ContrastFailure[] }> {
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const w = globalThis as unknown as {
      document: {
        body: unknown;
        querySelectorAll(s: string): Iterable<El>;
      };
      getComputedStyle(e: El): Record<string, string>;
    };
    interface El {
      tagName: string;
      childNodes: Iterable<{ nodeType: number; textContent: string | null }>;
      parentElement: El | null;
      namespaceURI: string | null;
      previousElementSibling: El | null;
      closest(s: string): El | null;
      querySelector(s: string): El | null;
      getClientRects(): { length: number };
      getAttribute(name: string): string | null;
    }
    const parse = (c: string): Rgba => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const p = (m[1] ?? "")
        .split(/[ ,/]+/)
        .filter(Boolean)
        .map(Number);
      return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 1];
    };
    const over = (top: Rgba, below: Rgba): Rgba => {
      const a = top[3];
      return [0, 1, 2].map((i) => (top[i] ?? 0) * a + (below[i] ?? 0) * (1 - a)).concat(1) as Rgba;
    };
    const lum = (c: Rgba) => {
      const [r, g, b] = [0, 1, 2].map((i) => {
        const v = (c[i] ?? 0) / 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
    };
    const ratio = (a: Rgba, b: Rgba) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return ((x ?? 0) + 0.05) / ((y ?? 0) + 0.05);
    };
    const white: Rgba = [255, 255, 255, 1];
    /** The colour behind `el`: backgrounds of its ancestors, blended from the page up. */
    const behind = (el: El): Rgba => {
      const layers: Rgba[] = [];
      for (let e: El | null = el; e; e = e.parentElement) {
        const bg = parse(w.getComputedStyle(e).backgroundColor ?? "");
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      return layers.reverse().reduce((acc, l) => over(l, acc), white);
    };
    /** SVG text sits on a circle (a device's glyph) or its site's or region's box; boxes sit on the page. */
    const behindSvg = (el: El): Rgba => {
      const page = behind(el.closest("svg") ?? el);
      const glyph = (el.getAttribute("class") ?? "").split(" ").includes("glyph");
      const shape =
        (glyph ? el.closest("a")?.querySelector("circle") : undefined) ??
        el.closest("g.site")?.querySelector(":scope > rect") ??
        el.closest("g.region")?.querySelector(":scope > rect");
      if (!shape) return page;
      return over(parse(w.getComputedStyle(shape).fill ?? ""), page);
    };
    const failures: { text: string; ratio: number; needed: number; fg: string; bg: string }[] = [];
    let checked = 0;
    for (const el of w.document.querySelectorAll("body *")) {
      if (["SCRIPT", "STYLE", "TITLE", "title", "style"].includes(el.tagName)) continue;
      const own = [...el.childNodes]
        .filter((n) => n.nodeType === 3)
        .map((n) => n.textContent ?? "")
        .join("")
        .trim();
      if (!own || !el.getClientRects().length) continue;
      const cs = w.getComputedStyle(el);
      if (cs.visibility === "hidden" || cs.display === "none" || Number(cs.opacity) === 0) continue;
      const svg = el.namespaceURI === "http://www.w3.org/2000/svg";
      const bg = svg ? behindSvg(el) : behind(el);
      const fg = over(parse(svg ? (cs.fill ?? "") : (cs.color ?? "")), bg);
      const size = Number.parseFloat(cs.fontSize ?? "16");
      const bold = Number(cs.fontWeight) >= 700;
      const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      const r = ratio(fg, bg);
      checked++;
      if (r < needed)
        failures.push({
          text: own.slice(0, 40),
          ratio: Math.round(r * 100) / 100,
          needed,
          fg: `rgb(${fg.slice(0, 3).map(Math.round).join(", ")})`,
          bg: `rgb(${bg.slice(0, 3).map(Math.round).join(", ")})`,
        });
    }
    return { checked, failures };
  });
}
