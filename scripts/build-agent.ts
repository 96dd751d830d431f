// `pnpm build:agent`: the device agent as one ESM file for plain `node` (arm64 and x86-64), in dist/agent/.
//   node dist/agent/qonnect-agent.mjs run --config agent.yaml
// The i2c-bus native addon stays outside the bundle: ship node_modules/i2c-bus beside it where a real INA219
// is read over /dev/i2c-*; without it the agent uses sysfs sources, the emulator, or the power model.
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const outfile = join(root, "dist/agent/qonnect-agent.mjs");

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

const result = await build({
  entryPoints: [join(root, "packages/agent/src/main.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile,
  minify: true,
  legalComments: "none",
  external: ["i2c-bus"],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __qonnectRequire } from 'node:module'; const require = __qonnectRequire(import.meta.url);",
  },
  plugins: [pureLibraries],
  logLevel: "warning",
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`${outfile}: ${(statSync(outfile).size / 2 ** 20).toFixed(1)} MiB from ${inputs} modules`);
console.log(`run it with: node ${outfile} run --config agent.yaml`);
