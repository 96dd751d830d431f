// What `qonnect plan` (and the demo) read: manifests (every error as file:line:col), the current placement and
// a carbon forecast, the two JSON inputs checked with zod so that a wrong file gets one line naming the field.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  type Application,
  formatDiagnostic,
  type Inventory,
  loadManifests,
  ManifestError,
  ManifestFileError,
  toApplication,
  toInventory,
  z,
} from "@qonnect/core";
import { type CarbonForecast, forecastFromSeries, type PlacementEntry } from "@qonnect/planner";
import { CliError, EXIT, type Io } from "../io.js";

export interface PlanInput {
  inventory: Inventory;
  apps: Application[];
  current?: PlacementEntry[];
  forecast?: CarbonForecast;
}

const placementEntry = z.object({
  app: z.string(),
  service: z.string(),
  replica: z.number().int().nonnegative(),
  device: z.string(),
});
const currentSchema = z.array(placementEntry);

const zoneSeries = z.object({
  start: z.iso.datetime({ offset: true }),
  stepMinutes: z.number().positive(),
  intensityGPerKWh: z.array(z.number()),
});
const forecastSchema = z.object({ zones: z.record(z.string(), zoneSeries).default({}) });

/** `path: field: problem` for the first few issues of a zod parse. */
function issues(file: string, error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${file}: ${i.path.join(".") || "(top level)"}: ${i.message}`)
    .join("; ");
}

async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new CliError(`cannot read the ${what} ${file}: ${(err as Error).message}`, EXIT.usage);
  }
}

/** The current placement to re-plan from (`--current`): a JSON array, or what `plan --json` prints. */
export async function readCurrent(file: string): Promise<PlacementEntry[]> {
  const data = await readJson(file, "current placement");
  const list = Array.isArray(data) ? data : (data as { placements?: unknown } | null)?.placements;
  const parsed = currentSchema.safeParse(list);
  if (!parsed.success)
    throw new CliError(
      `${issues(file, parsed.error)}; expected a JSON array (or {"placements": [...]}) of {"app","service","replica","device"}, e.g. the output of plan --json`,
      EXIT.usage,
    );
  return parsed.data;
}

/** `{"zones": {"DE": {"start": RFC 3339, "stepMinutes": 60, "intensityGPerKWh": [...]}}}`; zones without a
 * series keep the inventory's intensity. */
export async function readForecast(file: string, inventory: Inventory): Promise<CarbonForecast> {
  const parsed = forecastSchema.safeParse(await readJson(file, "forecast"));
  if (!parsed.success)
    throw new CliError(
      `${issues(file, parsed.error)}; each zone needs "start" (RFC 3339), "stepMinutes" (> 0) and "intensityGPerKWh" (numbers)`,
      EXIT.usage,
    );
  const series = Object.fromEntries(
    Object.entries(parsed.data.zones).map(([zone, z]) => [
      zone,
      { startMs: Date.parse(z.start), stepMs: z.stepMinutes * 60_000, intensityGPerKWh: z.intensityGPerKWh },
    ]),
  );
  return forecastFromSeries(
    series,
    Object.fromEntries(inventory.zones.map((z) => [z.name, z.intensityGPerKWh])),
  );
}

/**
 * Loads the manifests (one Inventory, Applications and Jobs) and the optional JSON inputs. Manifest errors are
 * printed as file:line:col and give undefined; unreadable files and wrong shapes are usage errors.
 */
export async function loadPlanInput(
  io: Io,
  opts: { files: string[]; inventory: string; current?: string; forecast?: string },
): Promise<PlanInput | undefined> {
  let docs: Awaited<ReturnType<typeof loadManifests>>;
  try {
    docs = await loadManifests(...[...opts.files, opts.inventory].map((f) => resolve(io.cwd, f)));
  } catch (err) {
    if (err instanceof ManifestError) {
      for (const d of err.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
      io.err("fix the errors above and plan again\n");
      return undefined;
    }
    if (err instanceof ManifestFileError)
      throw new CliError(
        `cannot read ${err.file}: ${(err.cause as NodeJS.ErrnoException).code ?? err.message}`,
        EXIT.usage,
      );
    throw err;
  }
  const inventories = docs.filter((d) => d.manifest.kind === "Inventory");
  if (inventories.length !== 1)
    throw new CliError(
      `expected exactly one Inventory in ${resolve(io.cwd, opts.inventory)} and the -f files, found ${inventories.length}`,
      EXIT.usage,
    );
  const inventory = toInventory(inventories[0]!.manifest as Parameters<typeof toInventory>[0]);
  const apps = docs
    .filter((d) => d.manifest.kind === "Application" || d.manifest.kind === "Job")
    .map((d) => toApplication(d.manifest as Parameters<typeof toApplication>[0]));
  if (apps.length === 0)
    throw new CliError("no Application or Job in the -f files: nothing to plan", EXIT.usage);
  return {
    inventory,
    apps,
    ...(opts.current ? { current: await readCurrent(resolve(io.cwd, opts.current)) } : {}),
    ...(opts.forecast ? { forecast: await readForecast(resolve(io.cwd, opts.forecast), inventory) } : {}),
  };
}
