import { stringify } from "yaml";
import type { Io } from "../io.js";
import { type ConnectionFlags, connectionOptions, withClient } from "../kb-connection.js";
import { age } from "../kb-output.js";
import { table } from "../table.js";
import { collectionOf, resourceName } from "./get.js";
import type { Register } from "./index.js";

const indent = (text: string, by = "  ") =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => by + l)
    .join("\n");

// biome-ignore lint/suspicious/noExplicitAny: a Placement's spec as the Knowledge Base writes it
type PlacementSpec = any;

/** `qonnect describe KIND NAME`: metadata, status, where it runs and why, recent events. */
export const registerDescribe: Register = (program, io: Io) => {
  connectionOptions(
    program
      .command("describe")
      .description("show one resource in detail: status, placement with the explanation, recent events")
      .argument("<kind>", "collection or kind")
      .argument("<name>", "resource name")
      .option("-n, --namespace <ns>", "namespace", "default"),
  ).action(async (kind: string, name: string, opts: ConnectionFlags & { namespace: string }) => {
    const collection = collectionOf(kind);
    const full = resourceName(collection, name, opts.namespace);
    await withClient(io, opts, async (client) => {
      const r = (await client.get(full)).resource!;
      const m = r.metadata!;
      const labels = Object.entries(m.labels).map(([k, v]) => `${k}=${v}`);
      io.out(
        [
          `Name:        ${m.name}`,
          `Namespace:   ${m.namespace}`,
          `Kind:        ${r.kind}`,
          `Labels:      ${labels.join(", ") || "<none>"}`,
          `Generation:  ${m.generation}   Version: ${m.resourceVersion}   Etag: ${m.etag}`,
          `Created:     ${new Date(m.createTimeMs).toISOString()} (${age(m.createTimeMs)} ago)`,
          `Updated:     ${new Date(m.updateTimeMs).toISOString()}`,
          "",
        ].join("\n"),
      );
      if (r.status && Object.keys(r.status).length) io.out(`Status:\n${indent(stringify(r.status))}\n`);
      if (r.kind === "Application" || r.kind === "Job") {
        const p = await client.get(`placements/${m.name}`).catch(() => undefined);
        const spec = p?.resource?.spec as PlacementSpec;
        if (spec?.placements?.length) {
          io.out(`Placement (plan ${spec.planId}):\n`);
          const why = new Map<string, PlacementSpec>(
            (spec.explanation?.replicas ?? []).map((x: PlacementSpec) => [`${x.service}/${x.replica}`, x]),
          );
          io.out(
            indent(
              table(
                ["SERVICE", "REPLICA", "DEVICE", "REGION", "RUNNER-UP", "+OBJECTIVE"],
                spec.placements.map((e: PlacementSpec) => {
                  const x = why.get(`${e.service}/${e.replica}`);
                  return [
                    e.service,
                    e.replica,
                    e.device,
                    e.region,
                    x?.runnerUp?.device ?? "-",
                    x?.runnerUp ? Number(x.runnerUp.objectiveDelta.toFixed(4)) : "-",
                  ];
                }),
              ),
            ),
          );
          io.out("\n");
          const t = spec.totals ?? {};
          io.out(
            `  totals: energy ${Number(t.energyW ?? 0).toFixed(2)} W · carbon ${Number(t.carbonGPerH ?? 0).toFixed(2)} g/h · cost ${Number(t.costPerHour ?? 0).toFixed(4)} EUR/h\n`,
          );
          for (const problem of spec.problems ?? []) io.out(`  problem: ${problem}\n`);
        } else io.out("Placement:   <none yet>\n");
      }
      const ev = await client.listEvents({ object: full, pageSize: 1000 });
      const recent = ev.events.slice(-10);
      io.out("Events:\n");
      io.out(
        recent.length
          ? `${indent(
              table(
                ["AGE", "TYPE", "REASON", "MESSAGE"],
                recent.map((e) => [age(e.timeMs), e.type, e.reason, e.message]),
              ),
            )}\n`
          : "  <none>\n",
      );
    });
  });
};
