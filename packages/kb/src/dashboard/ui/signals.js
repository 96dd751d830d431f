// Signals: grid intensity and price per zone (the inventory's figure, or a Signal resource's), solar per
// site, and the window each Job will use against its forecast. Answers "how clean is each grid now, and when
// will jobs run".
import { fmt } from "./format.js";
import { html } from "./html.js";
import { JobWindows } from "./job-window.js";
import { declared } from "./model.js";

export function Signals({ live }) {
  const inv = declared(live);
  const signals = live.list("Signal");
  const zones = [...inv.zones.values()].map((z) => {
    const own = signals.filter((s) => s.spec?.zone === z.name);
    const value = (q) => own.find((s) => s.spec.quantity === q);
    const describe = (s, fallback, unit) =>
      s
        ? s.spec.source === "constant"
          ? `${fmt(s.spec.value, 3)} ${unit}`
          : `${s.spec.source} (${s.metadata.name})`
        : `${fmt(fallback, 3)} ${unit} (inventory)`;
    return {
      name: z.name,
      intensity: describe(value("intensity"), z.intensityGPerKWh, "g/kWh"),
      price: describe(value("price"), z.pricePerKWh, "€/kWh"),
    };
  });
  const solar = signals.filter((s) => s.spec?.quantity === "solar");
  return html`<section aria-labelledby="h-signals">
    <h1 id="h-signals">Signals</h1>
    <h2>Grid zones</h2>
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">zone</th><th scope="col">carbon intensity</th><th scope="col">price</th></tr></thead>
      <tbody>${zones.map((z) => html`<tr data-zone=${z.name}><th scope="row">${z.name}</th><td>${z.intensity}</td><td>${z.price}</td></tr>`)}</tbody>
    </table></div>
    <h2>Solar</h2>
    ${solar.length ? html`<ul>${solar.map((s) => html`<li>${s.spec.site}: ${s.spec.source === "constant" ? `${fmt(s.spec.value, 1)} W` : `${s.spec.source} (${s.metadata.name})`}</li>`)}</ul>` : html`<p class="muted">No solar signals; devices report their own solar excess.</p>`}
    <h2>Job windows</h2>
    <p class="muted">Each job starts where the planner scores it best between its earliest start and its deadline, its
      carbon taken from the forecast (a Signal of source <code>forecast</code>, else the zone's figure).</p>
    <${JobWindows} jobs=${live.list("Job")} />
  </section>`;
}
