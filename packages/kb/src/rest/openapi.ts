// The OpenAPI document of the REST API, generated from the same zod schemas the validator and the API use
// (never written by hand).
import { applicationSchema, inventorySchema, jobSchema, z } from "@qonnect/core";
import { COLLECTIONS, regionSchema, signalSchema } from "../kinds.js";

const metadata = z.object({
  name: z.string(),
  namespace: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  uid: z.string(),
  resourceVersion: z.number().int(),
  generation: z.number().int(),
  etag: z.string(),
  createTimeMs: z.number().int(),
  updateTimeMs: z.number().int(),
});

export const resourceSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata,
  spec: z.unknown(),
  status: z.unknown(),
});

export const listSchema = z.object({
  items: z.array(resourceSchema),
  nextPageToken: z.string(),
  resourceVersion: z.number().int(),
});

export const errorSchema = z.object({
  code: z.string().describe("INVALID_ARGUMENT, NOT_FOUND, ABORTED, UNAUTHENTICATED, PERMISSION_DENIED, ..."),
  message: z.string(),
  details: z.object({
    problems: z.array(
      z.object({
        file: z.string(),
        line: z.number(),
        column: z.number(),
        message: z.string(),
        path: z.string(),
      }),
    ),
  }),
});

export const planRequestSchema = z.object({
  manifests: z.array(z.string()).describe("YAML or JSON manifests; empty = the stored desired state"),
  explain: z.boolean().optional(),
});

export const planResponseSchema = z.object({
  feasible: z.boolean(),
  placements: z.array(
    z.object({
      app: z.string(),
      service: z.string(),
      replica: z.number(),
      device: z.string(),
      region: z.string(),
    }),
  ),
  totals: z.record(z.string(), z.number()),
  moves: z.array(z.record(z.string(), z.unknown())),
  problems: z.array(z.string()),
  explanation: z.record(z.string(), z.unknown()).optional(),
  jobs: z.array(z.record(z.string(), z.unknown())),
});

export const tokenRequestSchema = z.object({
  role: z.enum(["viewer", "operator", "admin"]),
  description: z.string().optional(),
  ttlSeconds: z.number().int().positive().optional(),
});

const js = (s: z.ZodType) => z.toJSONSchema(s, { unrepresentable: "any", io: "input" });

export function openApiDocument(): Record<string, unknown> {
  const errors = {
    "400": {
      description: "invalid input",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    },
    "401": {
      description: "missing or invalid token",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    },
    "403": {
      description: "role too weak",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    },
  };
  const ref = (name: string) => ({
    content: { "application/json": { schema: { $ref: `#/components/schemas/${name}` } } },
  });
  const paths: Record<string, unknown> = {};
  for (const c of COLLECTIONS) {
    paths[`/api/v1/${c}`] = {
      get: {
        summary: `List ${c}`,
        parameters: [
          { name: "labelSelector", in: "query", schema: { type: "string" } },
          { name: "pageSize", in: "query", schema: { type: "integer", maximum: 1000 } },
          { name: "pageToken", in: "query", schema: { type: "string" } },
          { name: "namespace", in: "query", schema: { type: "string" } },
        ],
        responses: { "200": { description: "one page", ...ref("List") }, ...errors },
      },
    };
    paths[`/api/v1/${c}/{name}`] = {
      parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
      get: {
        summary: `Get one of ${c}`,
        responses: {
          "200": { description: "the resource (ETag header)", ...ref("Resource") },
          "404": { description: "not found" },
          ...errors,
        },
      },
      put: {
        summary: `Create or update one of ${c} from a YAML or JSON manifest`,
        parameters: [{ name: "If-Match", in: "header", schema: { type: "string" } }],
        requestBody: {
          content: {
            "application/yaml": { schema: { type: "string" } },
            "application/json": { schema: { type: "object" } },
          },
        },
        responses: {
          "200": { description: "updated", ...ref("Resource") },
          "201": { description: "created", ...ref("Resource") },
          "412": { description: "If-Match does not match" },
          ...errors,
        },
      },
      delete: {
        summary: `Delete one of ${c}`,
        parameters: [{ name: "If-Match", in: "header", schema: { type: "string" } }],
        responses: {
          "200": { description: "deleted", ...ref("Resource") },
          "404": { description: "not found" },
          "412": { description: "If-Match does not match" },
          ...errors,
        },
      },
    };
  }
  paths["/api/v1/plan"] = {
    post: {
      summary: "Dry run: the placement the manifests (or the stored state) would get; changes nothing",
      requestBody: ref("PlanRequest"),
      responses: { "200": { description: "the plan", ...ref("PlanResponse") }, ...errors },
    },
  };
  paths["/api/v1/watch"] = {
    get: {
      summary: "Server-sent events: every change after resourceVersion (or Last-Event-ID), then live",
      parameters: [
        { name: "collection", in: "query", schema: { type: "string" } },
        { name: "labelSelector", in: "query", schema: { type: "string" } },
        { name: "resourceVersion", in: "query", schema: { type: "integer" } },
      ],
      responses: {
        "200": {
          description: "text/event-stream; event = ADDED|MODIFIED|DELETED|BOOKMARK, id = resource version",
        },
        "410": { description: "resource version compacted: list again" },
        ...errors,
      },
    },
  };
  paths["/api/v1/devices/{name}/series"] = {
    get: {
      summary:
        "A device's time series (power, cumulative energy, carbon, cost, state of charge, solar excess)",
      parameters: [
        { name: "name", in: "path", required: true, schema: { type: "string" } },
        { name: "from", in: "query", schema: { type: "integer", description: "Unix ms" } },
        { name: "to", in: "query", schema: { type: "integer", description: "Unix ms" } },
      ],
      responses: { "200": { description: "samples, oldest first" }, ...errors },
    },
  };
  paths["/api/v1/devices/{name}/telemetry"] = {
    get: {
      summary:
        "A device's telemetry history (every sample by seq, from the region's stream) and its coverage",
      parameters: [
        { name: "name", in: "path", required: true, schema: { type: "string" } },
        { name: "from", in: "query", schema: { type: "integer", description: "Unix ms" } },
        { name: "to", in: "query", schema: { type: "integer", description: "Unix ms" } },
        { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100000 } },
        {
          name: "resolution",
          in: "query",
          schema: {
            type: "string",
            enum: ["raw", "1m"],
            description: "raw: every sample (kept 7 days by default); 1m: one row per minute (kept 400 days)",
          },
        },
      ],
      responses: {
        "200": {
          description:
            "coverage {count, firstSeq, lastSeq, missing} and samples (raw) or minutes {minuteMs, samples, firstSeq, lastSeq, powerWMean, powerWMax, cpuUtilMean, socMin, solarExcessWMean} (1m), oldest first",
        },
        ...errors,
      },
    },
  };
  paths["/api/v1/telemetry/coverage"] = {
    get: {
      summary:
        "Per device: samples stored, first and last seq, and seqs missing between them; per region: the history's backlog",
      responses: {
        "200": {
          description:
            "devices, the total of missing seqs, and regions {pendingSamples, unacknowledgedSamples, redeliveredSamples, ackWaitMs}: a gap is only a loss once it outlives ackWaitMs",
        },
        ...errors,
      },
    },
  };
  paths["/api/v1/tokens"] = {
    post: {
      summary: "Create a bearer token (admin)",
      requestBody: ref("TokenRequest"),
      responses: { "201": { description: "the token, shown once" }, ...errors },
    },
  };
  return {
    openapi: "3.1.0",
    info: { title: "qonnect Knowledge Base", version: "v1" },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Resource: js(resourceSchema),
        List: js(listSchema),
        Error: js(errorSchema),
        PlanRequest: js(planRequestSchema),
        PlanResponse: js(planResponseSchema),
        TokenRequest: js(tokenRequestSchema),
        Application: js(applicationSchema),
        Job: js(jobSchema),
        Inventory: js(inventorySchema),
        Signal: js(signalSchema),
        Region: js(regionSchema),
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
