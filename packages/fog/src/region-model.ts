// The region as the planner sees it: the applications and the declared inventory from the last plan's
// RegionContext, with live facts (verdicts, battery, solar, load) laid over the declared devices. Parsing is
// cached per context object (a context changes only with a plan from the Knowledge Base).
import {
  type Application,
  applicationSchema,
  type Inventory,
  inventorySchema,
  jobSchema,
  toApplication,
  toInventory,
} from "@qonnect/core";
import type { ContextRecord, VerdictName } from "./region-command.js";

export interface RegionApp {
  app: Application;
  /** spec.failover.partitionGraceSeconds (DESIGN.md §3), default 300; 0 = move at once. */
  partitionGraceS: number;
}

export interface RegionModel {
  apps: Map<string, RegionApp>;
  inventory: Inventory | undefined;
  /** Problems met while reading the context (an application or inventory that does not validate). */
  problems: string[];
}

export const DEFAULT_PARTITION_GRACE_S = 300;

const cache = new WeakMap<ContextRecord, RegionModel>();

/** Reads a RegionContext; bad parts are reported in `problems`, never thrown. */
export function regionModel(context: ContextRecord | undefined): RegionModel {
  if (!context) return { apps: new Map(), inventory: undefined, problems: [] };
  const hit = cache.get(context);
  if (hit) return hit;
  const problems: string[] = [];
  const apps = new Map<string, RegionApp>();
  for (const a of context.applications) {
    try {
      const raw = JSON.parse(a.manifestJson) as { kind?: string; spec?: Record<string, unknown> };
      // the grace is read here; core's manifest schema may not know `failover` yet, so it is taken out first
      const failover = raw.spec?.["failover"] as { partitionGraceSeconds?: unknown } | undefined;
      const grace = failover?.partitionGraceSeconds;
      const spec = { ...raw.spec };
      delete spec["failover"];
      const manifest = (raw.kind === "Job" ? jobSchema : applicationSchema).parse({ ...raw, spec });
      const app = toApplication(manifest);
      apps.set(app.name, {
        app,
        partitionGraceS: typeof grace === "number" && grace >= 0 ? grace : DEFAULT_PARTITION_GRACE_S,
      });
    } catch (err) {
      problems.push(`application ${a.name}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  let inventory: Inventory | undefined;
  if (context.inventoryJson) {
    try {
      inventory = toInventory(inventorySchema.parse(JSON.parse(context.inventoryJson)));
    } catch (err) {
      problems.push(`inventory: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  const model = { apps, inventory, problems };
  cache.set(context, model);
  return model;
}

/** Live facts of one device, from its telemetry (leader memory, not replicated). */
export interface LiveFacts {
  batterySoc?: number;
  solarExcessW: number;
}

/**
 * The declared inventory with `alive` from the verdicts (for `app`: an unreachable device counts as gone once
 * its verdict is older than the app's grace) and live battery/solar figures.
 */
export function liveInventory(
  inventory: Inventory,
  verdictOf: (device: string) => { verdict: VerdictName; sinceMs: number } | undefined,
  live: (device: string) => LiveFacts | undefined,
  graceS: number,
  nowMs: number,
): Inventory {
  return {
    ...inventory,
    devices: inventory.devices.map((d) => {
      const v = verdictOf(d.name);
      const gone =
        v !== undefined &&
        (v.verdict === "dead" || (v.verdict === "unreachable" && nowMs - v.sinceMs >= graceS * 1000));
      const f = live(d.name);
      return {
        ...d,
        alive: d.alive && !gone,
        ...(f ? { solarExcessW: f.solarExcessW } : {}),
        ...(f?.batterySoc !== undefined && d.battery ? { battery: { ...d.battery, soc: f.batterySoc } } : {}),
      };
    }),
  };
}
