// `kb serve` as its own process for crash tests: node tsx serve-main.ts DATA_DIR GRPC HTTP
import { runKbServe } from "../run.js";

const [dataDir, grpc, http] = process.argv.slice(2);
await runKbServe({ dataDir: dataDir!, grpc: grpc!, http: http!, insecure: true, planning: false });
