// The whole `qonnect` CLI as one ESM file with a `node` shebang (`pnpm build:cli`: dist/cli/qonnect.mjs), so that `qonnect …` is one process: its PID is the one a shell reports, it exits with
// its own status and gets the signals itself (no pnpm → sh → tsx → node chain in between).
// Native addons (i2c-bus, better-sqlite3, …) cannot be bundled: they stay external and are imported by their
// path relative to the bundle, so the bundle must stay inside the repository (`make install` links it onto
// PATH: /usr/local/bin/qonnect → <repo>/dist/cli/qonnect.mjs; node follows the link to the real file).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { build, type Plugin } from "esbuild";

const root = resolve(import.meta.dirname, "../../..");

/**
 * Packages with native code, or that read their own files at run time (`__dirname`: grpc-health-check and
 * @grpc/reflection load .proto files), imported from node_modules, never bundled.
 */
const NATIVE = [
  "i2c-bus",
  "epoll",
  "onoff",
  "better-sqlite3",
  "cpu-features",
  "ssh2", // its poly1305 module finds its .wasm through __dirname
  "highs", // loads highs.wasm from its own folder
  "ssh-agent",
  "grpc-health-check",
  "@grpc/reflection",
];

/** Resolves native packages from the importing package and rewrites the import to a path from the bundle. */
function nativeExternals(outdir: string): Plugin {
  const filter = new RegExp(`^(${NATIVE.map((n) => n.replace(/[-/@]/g, "\\$&")).join("|")})(/.*)?$`);
  return {
    name: "native-externals",
    setup(b) {
      b.onResolve({ filter }, async (args) => {
        if (args.pluginData === "native") return undefined;
        const r = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: "native",
        });
        // not installed (an optional dependency): leave the bare import, it fails only when used
        if (r.errors.length > 0) return { path: args.path, external: true };
        let path = relative(outdir, r.path);
        if (!path.startsWith(".")) path = `./${path}`;
        return { path, external: true };
      });
      b.onResolve({ filter: /\.node$/ }, () => ({ external: true }));
    },
  };
}

/** Bundles packages/cli/src/main.ts into `outfile` (executable) and returns its size in bytes. */
export async function buildCli(outfile: string): Promise<number> {
  const version = (
    JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8")) as { version: string }
  ).version;
  const result = await build({
    entryPoints: [join(root, "packages/cli/src/main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    minify: true,
    keepNames: true, // error classes keep their names in messages and `instanceof`-free checks
    legalComments: "none",
    write: false,
    define: { "process.env.QONNECT_CLI_VERSION": JSON.stringify(version) },
    banner: {
      js: "import { createRequire as __qonnectRequire } from 'node:module'; const require = __qonnectRequire(import.meta.url);",
    },
    plugins: [nativeExternals(dirname(outfile))],
    logLevel: "error",
  });
  // main.ts's own `#!/usr/bin/env -S npx tsx` line is for running the source; the bundle runs on plain node
  const text = result.outputFiles[0]!.text.replace(/^#!.*\n/, "");
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, `#!/usr/bin/env node\n${text}`);
  chmodSync(outfile, 0o755);
  return Buffer.byteLength(text);
}
