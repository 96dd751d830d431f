// fog.yaml: checked like every qonnect configuration — every problem at once, each as `file:line:col: message`,
// and nothing starts while there is one. Relative paths resolve against the file's folder.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "@qonnect/core";
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import { DEFAULT_DETECTOR } from "./detector.js";
import { DEFAULT_PLAUSIBILITY } from "./plausibility.js";

const address = z.string().regex(/^[^\s:]+:\d{1,5}$/, "must be HOST:PORT");
const name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase DNS label (a-z, 0-9, -)");

const schema = z
  .strictObject({
    region: name,
    member: z.number().int().min(1),
    /** gRPC: the Raft transport between members and FogLead for clients, on one port. */
    listen: address,
    /** Every member of the group (this one included): id → HOST:PORT. */
    peers: z.record(z.string().regex(/^[1-9]\d*$/, "peer ids are integers ≥ 1"), address),
    /** Members that found the group (voters at bootstrap); default every peer. */
    initialMembers: z.array(z.number().int().min(1)).optional(),
    /** `new`: an empty data directory bootstraps the group; `existing`: it waits to be (re-)added. */
    initialClusterState: z.enum(["new", "existing"]).default("new"),
    dataDir: z.string().min(1),
    nats: z.strictObject({
      servers: z
        .array(z.string().regex(/^(nats|tls):\/\/\S+$|^[^\s/:]+:\d+$/, "must look like nats://host:4222"))
        .min(1),
      credentials: z.string().optional(),
      user: z.string().optional(),
      password: z.string().optional(),
      token: z.string().optional(),
    }),
    tls: z.strictObject({ caFile: z.string(), certFile: z.string(), keyFile: z.string() }).optional(),
    /**
     * The member's `qonnect enroll fog fog-<member> --region <region>` bundle: mutual TLS on the gRPC port
     * (peer ids and FogLead callers from certificates), NATS with its JWT credentials and TLS, the CA pinned.
     */
    bundle: z.string().min(1).optional(),
    /** CRL to check peers against (default: crl.pem in the bundle, if there is one). */
    crlFile: z.string().min(1).optional(),
    /** Plaintext gRPC; only when said explicitly. */
    insecure: z.boolean().optional(),
    kb: z.strictObject({ address }).optional(),
    http: address,
    raft: z
      .strictObject({
        heartbeatMs: z.number().int().min(10).default(100),
        electionMs: z.number().int().min(50).default(1000),
        snapshotEntries: z.number().int().min(10).default(10_000),
      })
      .default({ heartbeatMs: 100, electionMs: 1000, snapshotEntries: 10_000 }),
    detector: z
      .strictObject({
        suspectPhi: z.number().positive().default(DEFAULT_DETECTOR.suspectPhi),
        deadPhi: z.number().positive().default(DEFAULT_DETECTOR.deadPhi),
        minStdDevMs: z.number().positive().default(DEFAULT_DETECTOR.minStdDevMs),
        minSilenceMs: z.number().positive().default(DEFAULT_DETECTOR.minSilenceMs),
        maxSilenceMs: z.number().positive().default(DEFAULT_DETECTOR.maxSilenceMs),
        expectedIntervalMs: z.number().positive().default(DEFAULT_DETECTOR.expectedIntervalMs),
        windowSize: z.number().int().min(2).default(DEFAULT_DETECTOR.windowSize),
        regionCutFraction: z.number().gt(0).lte(1).default(DEFAULT_DETECTOR.regionCutFraction),
        disconnectedSilenceMs: z.number().positive().default(DEFAULT_DETECTOR.disconnectedSilenceMs),
        /** Listen to the NATS server's disconnect events (qonnect.events.disconnect.>, DESIGN.md §10). */
        disconnectEvents: z.boolean().default(true),
        evaluateMs: z.number().int().min(10).default(100),
      })
      .default({ ...DEFAULT_DETECTOR, disconnectEvents: true, evaluateMs: 100 }),
    /** Bounds on reported figures (plausibility.ts): implausible samples are dropped and counted. */
    plausibility: z
      .strictObject({
        powerMarginFraction: z.number().min(0).default(DEFAULT_PLAUSIBILITY.powerMarginFraction),
        maxPowerW: z.number().positive().default(DEFAULT_PLAUSIBILITY.maxPowerW),
        maxClockSkewMs: z.number().int().min(1000).default(DEFAULT_PLAUSIBILITY.maxClockSkewMs),
        suspectAfterSamples: z.number().int().min(1).default(DEFAULT_PLAUSIBILITY.suspectAfterSamples),
      })
      .default({ ...DEFAULT_PLAUSIBILITY }),
    execution: z
      .strictObject({
        commandTimeoutMs: z.number().int().min(100).default(5000),
        initialBackoffMs: z.number().int().min(1).default(250),
        maxBackoffMs: z.number().int().min(1).default(4000),
        loopMs: z.number().int().min(5).default(50),
      })
      .default({ commandTimeoutMs: 5000, initialBackoffMs: 250, maxBackoffMs: 4000, loopMs: 50 }),
    summary: z
      .strictObject({ intervalMs: z.number().int().min(100).default(2000) })
      .default({ intervalMs: 2000 }),
    workloads: z
      .strictObject({ loopbackPortBase: z.number().int().min(1024).max(60_000).optional() })
      .default({}),
    log: z
      .strictObject({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      })
      .default({ level: "info" }),
  })
  .superRefine((c, ctx) => {
    if (!c.peers[String(c.member)])
      ctx.addIssue({ code: "custom", path: ["peers"], message: `must list this member (${c.member})` });
    if (!c.tls && !c.bundle && c.insecure !== true)
      ctx.addIssue({
        code: "custom",
        path: ["bundle"],
        message:
          "is required (or tls: {caFile, certFile, keyFile}) unless `insecure: true` is set explicitly",
      });
    if ((c.tls || c.bundle) && c.insecure === true)
      ctx.addIssue({
        code: "custom",
        path: ["insecure"],
        message: "cannot be true together with tls or bundle",
      });
    if (c.tls && c.bundle)
      ctx.addIssue({ code: "custom", path: ["tls"], message: "give either tls or bundle, not both" });
    if (c.bundle && (c.nats.credentials || c.nats.user || c.nats.token))
      ctx.addIssue({
        code: "custom",
        path: ["nats"],
        message: "takes its credentials from the bundle: remove credentials, user and token",
      });
    if (c.raft.electionMs <= c.raft.heartbeatMs)
      ctx.addIssue({ code: "custom", path: ["raft", "electionMs"], message: "must exceed raft.heartbeatMs" });
    if (c.detector.maxSilenceMs < c.detector.minSilenceMs)
      ctx.addIssue({
        code: "custom",
        path: ["detector", "maxSilenceMs"],
        message: "must be at least detector.minSilenceMs",
      });
    for (const id of c.initialMembers ?? [])
      if (!c.peers[String(id)])
        ctx.addIssue({ code: "custom", path: ["initialMembers"], message: `member ${id} is not in peers` });
  });

export type FogConfig = z.infer<typeof schema> & { file: string; peerMap: Map<number, string> };

/** The configuration has problems; one `file:line:col: message` line each. */
export class FogConfigError extends Error {
  override name = "FogConfigError";
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem(s) in the fog configuration:\n${problems.join("\n")}`);
  }
}

function positionOf(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: readonly PropertyKey[],
  atKey = false,
) {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const [i, seg] of path.entries()) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
    if (!pair) break;
    if (atKey && i === path.length - 1) return lines.linePos((pair.key as Node).range?.[0] ?? offset);
    node = pair.value;
    offset = (pair.value as Node | null)?.range?.[0] ?? (pair.key as Node).range?.[0] ?? offset;
  }
  return lines.linePos(offset);
}

export function parseFogConfig(text: string, file = "fog.yaml"): FogConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0)
    throw new FogConfigError(
      file,
      doc.errors.map((e) => {
        const p = lines.linePos(e.pos[0]);
        return `${file}:${p.line}:${p.col}: not valid YAML: ${e.message.split("\n")[0]}`;
      }),
    );
  const result = schema.safeParse(doc.toJS() ?? {});
  if (!result.success)
    throw new FogConfigError(
      file,
      result.error.issues.flatMap((i) => {
        if (i.code === "unrecognized_keys")
          return i.keys.map((k) => {
            const p = positionOf(doc, lines, [...i.path, k], true);
            return `${file}:${p.line}:${p.col}: ${[...i.path, k].join(".")}: unknown field`;
          });
        const p = positionOf(doc, lines, i.path);
        const where = i.path.length ? i.path.join(".") : "(top level)";
        return [`${file}:${p.line}:${p.col}: ${where}: ${i.message}`];
      }),
    );
  const base = dirname(resolve(file));
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const c = result.data;
  return {
    ...c,
    dataDir: path(c.dataDir),
    ...(c.tls
      ? { tls: { caFile: path(c.tls.caFile), certFile: path(c.tls.certFile), keyFile: path(c.tls.keyFile) } }
      : {}),
    ...(c.bundle ? { bundle: path(c.bundle) } : {}),
    ...(c.crlFile ? { crlFile: path(c.crlFile) } : {}),
    nats: { ...c.nats, ...(c.nats.credentials ? { credentials: path(c.nats.credentials) } : {}) },
    file,
    peerMap: new Map(Object.entries(c.peers).map(([id, a]) => [Number(id), a])),
  };
}

export function loadFogConfig(file: string): FogConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new FogConfigError(file, [
      `${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? err})`,
    ]);
  }
  return parseFogConfig(text, file);
}
