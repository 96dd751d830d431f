// The rig description (`kind: Rig`): boards, the relay on each board's power, the rig's own INA219 per board,
// network control, fog regions and the limits the suite checks against. One format for real and simulated
// rigs (`spec.simulated`); validated by @qonnect/core's machinery, so every error is `file:line:col: message`.
import {
  type Diagnostic,
  header,
  type KindDefinition,
  ManifestError,
  nameSchema,
  type ReferenceIssue,
  registerKind,
  validateText,
  z,
} from "@qonnect/core";

const relaySchema = z.strictObject({
  chip: z
    .string()
    .min(1)
    .describe("GPIO chip by its label, e.g. pinctrl-rp1 (Pi 5) or pinctrl-bcm2711 (Pi 4); never a number."),
  line: z.string().min(1).describe("The line by its name, e.g. GPIO17 (as gpioinfo lists it)."),
  activeLow: z
    .boolean()
    .default(false)
    .describe("The relay energises when the pin is low (most relay boards)."),
  normallyOpen: z
    .boolean()
    .default(true)
    .describe("The board's supply goes through the relay's NO contact (energised = board on)."),
  safeState: z.enum(["off", "on"]).default("off").describe("Board power when the driver exits or crashes."),
});

const meterSchema = z.strictObject({
  bus: z.number().int().nonnegative().describe("I2C bus number (/dev/i2c-N)."),
  address: z.number().int().min(0x40).max(0x4f).default(0x40).describe("INA219 address, 0x40..0x4F."),
  shuntOhm: z.number().positive().max(10).default(0.1),
  maxCurrentA: z.number().positive().max(20).default(3.2),
});

const networkSchema = z.strictObject({
  address: z.string().min(1).describe("The board's IPv4 address as the rig host's nftables sees it."),
  interface: z.string().min(1).optional().describe("Rig host interface towards the board (real rigs)."),
});

const boardSchema = z.strictObject({
  name: nameSchema,
  type: z.string().min(1).describe("Board type, e.g. raspberry-pi-5, raspberry-pi-4, jetson-orin-nano."),
  arch: z.enum(["arm64", "amd64", "arm"]).default("arm64"),
  role: z.enum(["device", "fog"]).default("device").describe("device: runs the agent; fog: runs a fog lead."),
  ssh: z.string().min(1).describe("user@host[:port] the rig reaches the board at."),
  region: nameSchema,
  labels: z.record(z.string(), z.string()).default({}),
  power: z.strictObject({ relay: relaySchema }).optional(),
  meter: meterSchema.optional(),
  network: networkSchema.optional(),
  bundle: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The board's enrolment bundle directory as `qonnect enroll` wrote it and `qonnect flash` installed it (the device config's `credentials:`), relative to the rig file; a secure real rig checks it names this board before switching any relay. A simulated rig issues its boards' bundles itself.",
    ),
  profile: z
    .strictObject({ idleW: z.number().positive(), maxW: z.number().positive() })
    .default({ idleW: 2.7, maxW: 7 })
    .describe("The board's power profile (sim: the electrical model; real: the inventory)."),
});

const regionSchema = z.strictObject({
  name: nameSchema,
  nats: z.array(z.string().min(1)).default([]).describe("The region's leafnode URLs (real rigs)."),
  fogLeads: z.array(z.string().min(1)).default([]).describe("FogLead gRPC addresses (real rigs)."),
  kb: z.string().optional().describe("Knowledge Base gRPC address (real rigs)."),
  bundle: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The rig host's own bundle for this region (`qonnect enroll fog hil-rig --region R`), relative to the rig file: reads telemetry, sends the suite's raw commands, reads the fog leads (secure real rigs).",
    ),
});

const limitsSchema = z.strictObject({
  bootToTelemetryS: z.number().positive().default(90),
  powerAgreementFraction: z.number().positive().max(1).default(0.05),
  powerAgreementW: z.number().nonnegative().default(0.05),
  networkCutS: z.number().positive().default(30),
  partitionGraceS: z.number().positive().default(60),
  brownoutMs: z.number().int().positive().default(200),
  replicaAnsweringS: z.number().positive().default(60),
  leaderElectionS: z.number().positive().default(30),
});

/** The rig's errors per chip, within the INA219's datasheet tolerances (simulated rigs only). */
const sensorErrorSchema = z.strictObject({
  gainFraction: z.number().min(-0.01).max(0.01).default(0),
  offsetA: z.number().min(-0.01).max(0.01).default(0),
  noiseA: z.number().nonnegative().max(0.01).default(0),
});

export const rigSchema = z.strictObject({
  ...header("Rig"),
  spec: z.strictObject({
    simulated: z.boolean().default(false).describe("Boards are network namespaces running real agents."),
    security: z
      .enum(["secure", "insecure"])
      .default("secure")
      .describe(
        "secure (default): every board, fog lead and the Knowledge Base holds a bundle of the deployment's CA; NATS with operator JWTs and TLS (DESIGN.md §10). insecure: everything plaintext.",
      ),
    regions: z.array(regionSchema).min(1),
    boards: z.array(boardSchema).min(1),
    limits: limitsSchema.default(limitsSchema.parse({})),
    simulation: z
      .strictObject({
        seed: z.number().int().default(1),
        boardSensor: sensorErrorSchema.default(sensorErrorSchema.parse({})),
        rigMeter: sensorErrorSchema.default(sensorErrorSchema.parse({})),
        samplePeriodMs: z.number().int().min(100).default(500),
      })
      .optional(),
  }),
});

export type RigManifest = z.infer<typeof rigSchema>;
export type Board = RigManifest["spec"]["boards"][number];
export type RelaySpec = z.infer<typeof relaySchema>;
export type MeterSpec = z.infer<typeof meterSchema>;
export type RigLimits = z.infer<typeof limitsSchema>;
export type SensorErrorSpec = z.infer<typeof sensorErrorSchema>;

/** Cross-field checks: unique names, known regions, one relay line per board, fog boards per region. */
export function checkRig(m: RigManifest): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const regions = new Set(m.spec.regions.map((r) => r.name));
  const names = new Set<string>();
  const lines = new Map<string, string>();
  const meters = new Map<string, string>();
  m.spec.boards.forEach((b, i) => {
    if (names.has(b.name))
      issues.push({ path: ["spec", "boards", i, "name"], message: `duplicate board "${b.name}"` });
    names.add(b.name);
    if (!regions.has(b.region))
      issues.push({
        path: ["spec", "boards", i, "region"],
        message: `region "${b.region}" is not in spec.regions (${[...regions].join(", ")})`,
      });
    const relay = b.power?.relay;
    if (relay) {
      const key = `${relay.chip}/${relay.line}`;
      const other = lines.get(key);
      if (other)
        issues.push({
          path: ["spec", "boards", i, "power", "relay", "line"],
          message: `${key} already switches board "${other}"; every board needs a relay line of its own`,
        });
      lines.set(key, b.name);
    }
    if (b.meter) {
      const key = `${b.meter.bus}/0x${b.meter.address.toString(16)}`;
      const other = meters.get(key);
      if (other)
        issues.push({
          path: ["spec", "boards", i, "meter", "address"],
          message: `INA219 ${key} already measures board "${other}"; give each breakout its own address (A0/A1)`,
        });
      meters.set(key, b.name);
    }
    if (b.profile.maxW < b.profile.idleW)
      issues.push({
        path: ["spec", "boards", i, "profile", "maxW"],
        message: "maxW must not be below idleW",
      });
  });
  if (!m.spec.simulated)
    m.spec.regions.forEach((r, i) => {
      if (r.nats.length === 0)
        issues.push({
          path: ["spec", "regions", i, "nats"],
          message: "a real rig names the region's leafnode URLs",
        });
      if (m.spec.security === "secure" && !r.bundle)
        issues.push({
          path: ["spec", "regions", i, "name"],
          message: `a secure real rig names its own bundle for region ${r.name} (bundle: DIR, from 'qonnect enroll fog hil-rig --region ${r.name}'), or says security: insecure`,
        });
    });
  if (!m.spec.simulated && m.spec.security === "secure")
    m.spec.boards.forEach((b, i) => {
      if (!b.bundle)
        issues.push({
          path: ["spec", "boards", i, "name"],
          message: `a secure real rig names the bundle flashed onto board "${b.name}" (bundle: DIR, the device config's credentials:)`,
        });
    });
  if (m.spec.limits.partitionGraceS <= m.spec.limits.networkCutS)
    issues.push({
      path: ["spec", "limits", "partitionGraceS"],
      message: "partitionGraceS must exceed networkCutS, or the cut test cannot tell a wait from a move",
    });
  return issues;
}

export const RIG_KIND: KindDefinition = {
  schema: rigSchema,
  check: checkRig as (m: never) => ReferenceIssue[],
  summary: "a hardware-in-the-loop rig: boards, relays, meters, network control (hil-tests/)",
};

/** Registers kind Rig with core's validator (idempotent). */
export function registerRigKind(): void {
  registerKind("Rig", RIG_KIND);
}

/** Validates a YAML text holding exactly one Rig document; throws core's ManifestError (positioned) otherwise. */
export function parseRig(text: string, file = "<stdin>"): RigManifest {
  registerRigKind();
  const result = validateText(text, file);
  const diagnostics: Diagnostic[] = [...result.diagnostics];
  const docs = result.extensions.filter((d) => d.manifest.kind === "Rig");
  if (result.ok && docs.length !== 1)
    diagnostics.push({
      file,
      line: 1,
      col: 1,
      path: "",
      message: `expected one Rig document, found ${docs.length}`,
    });
  if (diagnostics.length) throw new ManifestError(diagnostics);
  return docs[0]!.manifest as unknown as RigManifest;
}
