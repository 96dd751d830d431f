// `kb serve` as its own process for crash tests and the benchmark:
//   node --import tsx serve-main.ts DATA_DIR GRPC HTTP
// KB_STORE (sqlite or postgres://…), KB_SCHEMA and KB_PLANNING=1 (the planning loop) from the environment;
// KB_NATS (comma-separated URLs) and KB_TELEMETRY_REGIONS (comma-separated) for the telemetry history.
import { runKbServe } from "../run.js";

const [dataDir, grpc, http] = process.argv.slice(2);
await runKbServe({
  dataDir: dataDir!,
  grpc: grpc!,
  http: http!,
  insecure: true,
  store: process.env.KB_STORE ?? "sqlite",
  ...(process.env.KB_SCHEMA ? { schema: process.env.KB_SCHEMA } : {}),
  planning: process.env.KB_PLANNING === "1" ? {} : false,
  ...(process.env.KB_NATS ? { nats: process.env.KB_NATS.split(",") } : {}),
  ...(process.env.KB_TELEMETRY_REGIONS
    ? { telemetry: { regions: process.env.KB_TELEMETRY_REGIONS.split(","), retryMs: 500 } }
    : {}),
});
