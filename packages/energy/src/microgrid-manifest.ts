// The `kind: Microgrid` manifest: a site's actors, storage, grid and policy, validated with core's machinery.
import {
  type Diagnostic,
  header,
  type KindDefinition,
  ManifestError,
  type ReferenceIssue,
  registerKind,
  validateText,
  z,
} from "@qonnect/core";
import { POLICY_NAMES } from "./policy.js";

const nonNegative = z.number().nonnegative();
const fraction = z.number().min(0).max(1);

const TRACE_FORMATS = ["csv", "vessim", "electricitymaps", "watttime", "uk"] as const;

const traceSchema = z.strictObject({
  file: z
    .string()
    .min(1)
    .describe("Path to the trace; relative paths resolve against the manifest's folder."),
  column: z.string().min(1).optional().describe("Value column (CSV formats)."),
  format: z.enum(TRACE_FORMATS).optional().describe("Default: detected from the file's header or shape."),
  scaleW: z.number().positive().optional().describe("Multiply values (normalised traces × peak W)."),
  anchor: z.boolean().default(false).describe("Shift the trace so its first sample is at spec.start."),
  wrap: z.boolean().default(false).describe("Repeat the trace after its end."),
});

const actorSchema = z.strictObject({
  name: z.string().min(1),
  consumer: z.boolean(),
  kind: z
    .enum(["solar", "wind", "load", "other"])
    .optional()
    .describe("solar/wind count for embodied emissions."),
  peakW: z
    .number()
    .positive()
    .optional()
    .describe("Rated peak power (default: trace.scaleW for solar and wind)."),
  constantW: nonNegative.optional(),
  trace: traceSchema.optional(),
});

const storageSchema = z.strictObject({
  model: z.enum(["ideal", "clc", "kibam"]),
  capacityWh: z.number().positive(),
  initialSoc: fraction.default(0.5),
  minSoc: fraction.default(0),
  cRate: z.number().positive().optional().describe("ideal, kibam: |P| ≤ cRate·capacityWh."),
  cell: z
    .strictObject({
      nomVoltageV: z.number().positive().optional(),
      u1WhPerA: z.number().optional(),
      v1Wh: z.number().optional(),
      u2WhPerA: z.number().optional(),
      v2Wh: z.number().positive().optional(),
      alphaD: z.number().negative().optional(),
      alphaC: z.number().positive().optional(),
      etaD: z.number().min(1).optional(),
      etaC: z.number().positive().max(1).optional(),
      dischargeCutoffA: z.number().optional(),
      chargeCutoffA: z.number().optional(),
    })
    .optional()
    .describe("clc: overrides of the LG M50 cell; cells = capacityWh / v2Wh."),
  availableFraction: z.number().gt(0).lt(1).optional().describe("kibam: c, default 0.5."),
  rateConstantPerH: z.number().positive().optional().describe("kibam: k in 1/h, default 0.5."),
});

const gridSchema = z.strictObject({
  intensityGPerKWh: z.union([nonNegative, traceSchema]).describe("Average intensity: a constant or a trace."),
  importLimitW: nonNegative.optional(),
  exportLimitW: nonNegative.optional(),
  islanded: z.boolean().default(false),
});

const policySchema = z.strictObject({
  name: z.enum(POLICY_NAMES).default("default"),
  thresholdGPerKWh: nonNegative.optional().describe("carbon-threshold: charge from the grid at or below."),
  gridChargeW: nonNegative.optional().describe("carbon-threshold: grid charging power, W."),
});

const sizingSchema = z.strictObject({
  solarKWp: z.array(nonNegative).min(1),
  batteryKWh: z.array(nonNegative).min(1),
  durationHours: z.number().positive().default(8760),
  stepSeconds: z.number().positive().default(900),
  solarCostPerKWp: nonNegative.default(1000).describe("Installed cost, EUR/kWp."),
  batteryCostPerKWh: nonNegative.default(400).describe("Installed cost, EUR/kWh."),
  importPricePerKWh: nonNegative.default(0.3),
  exportPricePerKWh: nonNegative.default(0.08),
});

export const microgridSchema = z.strictObject({
  ...header("Microgrid"),
  spec: z.strictObject({
    start: z.iso
      .datetime({ offset: true })
      .default("2022-06-01T00:00:00Z")
      .describe("Simulated start, ISO 8601."),
    stepSeconds: z.number().positive(),
    durationHours: z.number().positive(),
    actors: z.array(actorSchema).min(1),
    storage: storageSchema.optional(),
    grid: gridSchema,
    policy: policySchema.default({ name: "default" }),
    lifetimes: z
      .strictObject({
        solarYears: z.number().positive().default(25),
        windYears: z.number().positive().default(20),
        batteryYears: z.number().positive().default(10),
      })
      .default({ solarYears: 25, windYears: 20, batteryYears: 10 })
      .describe("Embodied emissions are amortised over these lifetimes."),
    sizing: sizingSchema.optional().describe("Grid for `qonnect sim size`."),
  }),
});

export type MicrogridManifest = z.infer<typeof microgridSchema>;
export type TraceSpec = z.infer<typeof traceSchema>;
export type ActorSpec = z.infer<typeof actorSchema>;

/** Cross-field checks: unique actor names, one power source per actor, policy parameters, SoC bounds. */
export function checkMicrogrid(m: MicrogridManifest): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const seen = new Set<string>();
  m.spec.actors.forEach((a, i) => {
    if (seen.has(a.name))
      issues.push({ path: ["spec", "actors", i, "name"], message: `duplicate actor name "${a.name}"` });
    seen.add(a.name);
    if ((a.constantW === undefined) === (a.trace === undefined))
      issues.push({
        path: ["spec", "actors", i],
        message: `actor "${a.name}": give exactly one of constantW or trace`,
      });
  });
  const s = m.spec.storage;
  if (s && s.minSoc > s.initialSoc)
    issues.push({ path: ["spec", "storage", "minSoc"], message: "minSoc must not exceed initialSoc" });
  if (m.spec.policy.name === "carbon-threshold" && m.spec.policy.thresholdGPerKWh === undefined)
    issues.push({ path: ["spec", "policy"], message: 'policy "carbon-threshold" needs thresholdGPerKWh' });
  if (m.spec.policy.name !== "default" && !s)
    issues.push({
      path: ["spec", "policy", "name"],
      message: `policy "${m.spec.policy.name}" needs spec.storage`,
    });
  if (m.spec.stepSeconds > m.spec.durationHours * 3600)
    issues.push({ path: ["spec", "stepSeconds"], message: "stepSeconds is longer than the whole run" });
  return issues;
}

function describeMicrogrid(m: MicrogridManifest): string {
  const producers = m.spec.actors.filter((a) => !a.consumer).length;
  const s = m.spec.storage;
  const grid = m.spec.grid.islanded ? "islanded" : "on grid";
  return `Microgrid ${m.metadata.name}: ${m.spec.actors.length - producers} consumers, ${producers} producers, ${
    s ? `${s.model} storage ${s.capacityWh} Wh` : "no storage"
  }, ${grid}, ${m.spec.durationHours} h at ${m.spec.stepSeconds} s steps, policy ${m.spec.policy.name}\n`;
}

/** The Microgrid kind as core's validator sees it. */
export const MICROGRID_KIND: KindDefinition = {
  schema: microgridSchema,
  check: checkMicrogrid as (m: never) => ReferenceIssue[],
  summary: "a site's consumers, producers, storage and grid for `qonnect sim microgrid`",
  describe: describeMicrogrid as (m: never) => string,
};

/** Registers kind Microgrid with core's validator (idempotent). */
export function registerMicrogridKind(): void {
  registerKind("Microgrid", MICROGRID_KIND);
}

/**
 * Validates a YAML text that must hold exactly one Microgrid document; throws core's ManifestError with
 * positioned diagnostics otherwise.
 */
export function parseMicrogridManifest(text: string, file = "<stdin>"): MicrogridManifest {
  registerMicrogridKind();
  const result = validateText(text, file);
  const diagnostics: Diagnostic[] = [...result.diagnostics];
  const docs = result.extensions.filter((d) => d.manifest.kind === "Microgrid");
  if (result.ok && docs.length !== 1)
    diagnostics.push({
      file,
      line: 1,
      col: 1,
      path: "",
      message: `expected one Microgrid document, found ${docs.length}${
        result.documents.length ? ` (and ${result.documents.map((d) => d.manifest.kind).join(", ")})` : ""
      }`,
    });
  if (diagnostics.length) throw new ManifestError(diagnostics);
  return docs[0]!.manifest as unknown as MicrogridManifest;
}
