// "What if": the same application re-planned with other weights through POST /api/v1/plan (a dry run that
// changes nothing; viewers may ask for one). Shows where each replica would go and the totals beside now.
import { useState } from "preact/hooks";
import { HttpError, postJson } from "./api.js";
import { PlacementTable, Totals } from "./explain.js";
import { html } from "./html.js";

const WEIGHTS = ["energy", "carbon", "cost", "performance"];

export function WhatIf({ app, current }) {
  const qos = app.spec?.qos ?? {};
  const [weights, setWeights] = useState(Object.fromEntries(WEIGHTS.map((k) => [k, Number(qos[k] ?? 0)])));
  const [result, setResult] = useState(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const run = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const manifest = {
        apiVersion: app.apiVersion,
        kind: app.kind,
        metadata: { name: app.metadata.name },
        spec: { ...app.spec, qos: weights },
      };
      setResult(await postJson("/api/v1/plan", { manifests: [JSON.stringify(manifest)], explain: true }));
    } catch (err) {
      setError(err instanceof HttpError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const now = new Map((current?.placements ?? []).map((p) => [`${p.service}/${p.replica}`, p.device]));
  const moved = (result?.placements ?? []).filter((p) => now.get(`${p.service}/${p.replica}`) !== p.device);
  return html`<section class="whatif" aria-labelledby=${`h-whatif-${app.metadata.name}`}>
    <h3 id=${`h-whatif-${app.metadata.name}`}>What if: other weights (a dry run, nothing changes)</h3>
    <form onSubmit=${run} data-whatif>
      ${WEIGHTS.map(
        (k) => html`<label class="weight">${k}
          <input type="number" min="0" max="10" step="0.1" value=${weights[k]} data-weight=${k}
            onInput=${(e) => setWeights({ ...weights, [k]: Number(e.currentTarget.value) || 0 })} /></label>`,
      )}
      <button type="submit" disabled=${busy}>${busy ? "Planning…" : "Dry run"}</button>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ""}
    ${
      result
        ? html`<div data-whatif-result aria-live="polite">
          <p>${result.feasible ? "Feasible." : "Not feasible:"} ${moved.length} replica${moved.length === 1 ? "" : "s"} would move${
            moved.length ? `: ${moved.map((p) => `${p.service}#${p.replica} → ${p.device}`).join(", ")}` : ""
          }.</p>
          ${(result.problems ?? []).map((p) => html`<p class="error">${p}</p>`)}
          <${Totals} totals=${result.totals} />
          <${PlacementTable} spec=${{ placements: result.placements, explanation: result.explanation?.[app.metadata.name] }} caption="Dry-run placement" />
        </div>`
        : ""
    }
  </section>`;
}
