// `pnpm build:agent`: the device agent as ESM for plain `node` (arm64 and x86-64), in dist/agent/: the entry
// qonnect-agent.mjs and, in lib/, the chunks it imports. Ship the whole folder:
//   node dist/agent/qonnect-agent.mjs run --config agent.yaml
// Code splitting keeps the k3s runtime and @kubernetes/client-node (1.8 MiB of the 2.7 MiB) in a chunk that is
// loaded only when runtime.kind is k3s: V8 parses all of a module's source when it loads it, and one file
// with the Kubernetes client in it cost the process-runtime agent 17 MB of peak RSS.
// The i2c-bus native addon stays outside the bundle: ship node_modules/i2c-bus beside it where a real INA219
// is read over /dev/i2c-*; without it the agent uses sysfs sources, the emulator, or the power model.
import { chmodSync, readdirSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { AGENT_NODE_FLAGS } from "../packages/agent/src/node-flags.js";

const root = resolve(import.meta.dirname, "..");
// `--outdir DIR` builds elsewhere (tests that build in parallel each use their own)
const outArg = process.argv.indexOf("--outdir");
const outdir =
  outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1] ?? "") : join(root, "dist/agent");
const outfile = join(outdir, "qonnect-agent.mjs");

/**
 * The workspace libraries re-export more than the agent uses (manifest schemas, gRPC service stubs); their
 * modules have no import-time effects the agent relies on, so unused ones are dropped from the bundle.
 */
const PURE =
  /[/\\](packages[/\\](core|proto|energy)[/\\]src|node_modules[/\\](\.pnpm[/\\])?(zod|yaml|@grpc|protobufjs))/;
const pureLibraries: Plugin = {
  name: "pure-libraries",
  setup(b) {
    // the agent speaks only the telemetry contract: keep the raft gRPC stubs (and grpc-js) out of the bundle
    b.onLoad({ filter: /[/\\]packages[/\\]proto[/\\]src[/\\]index\.ts$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      return {
        contents: text
          .split("\n")
          .filter((l) => !l.startsWith("export") || l.includes("telemetryV1"))
          .join("\n"),
        loader: "ts",
      };
    });
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === "pure") return undefined;
      const result = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: "pure",
      });
      if (result.errors.length > 0 || result.external || !PURE.test(result.path)) return undefined;
      return { ...result, sideEffects: false };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(root, "packages/agent/src/main.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outdir,
  entryNames: "qonnect-agent",
  chunkNames: "lib/[name]-[hash]",
  outExtension: { ".js": ".mjs" },
  splitting: true,
  minify: true,
  legalComments: "none",
  external: ["i2c-bus"],
  banner: {
    js: `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(" ")}\nimport { createRequire as __qonnectRequire } from 'node:module'; const require = __qonnectRequire(import.meta.url);`,
  },
  plugins: [pureLibraries],
  logLevel: "warning",
  metafile: true,
});
chmodSync(outfile, 0o755); // the shebang carries the node flags
const inputs = Object.keys(result.metafile.inputs).length;
const mib = (file: string) => `${(statSync(file).size / 2 ** 20).toFixed(1)} MiB`;
const chunks = readdirSync(join(outdir, "lib")).map((f) => `lib/${f} ${mib(join(outdir, "lib", f))}`);
console.log(`${outfile}: ${mib(outfile)} from ${inputs} modules (+ ${chunks.join(", ")})`);
console.log(`run it with: node ${AGENT_NODE_FLAGS.join(" ")} ${outfile} run --config agent.yaml`);
