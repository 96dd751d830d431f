// `pnpm build:cli` (and `make install`): dist/cli/qonnect.mjs, the whole CLI in one file (packages/cli/src/bundle.ts).
// An argument names another output file (it must stay inside the repository: native packages are imported by
// their path relative to the bundle); the test kit's bundleCli builds its own copy that way.
import { join, relative, resolve } from "node:path";
import { buildCli } from "../packages/cli/src/bundle.js";

const outfile = process.argv[2]
  ? resolve(process.argv[2])
  : join(resolve(import.meta.dirname, ".."), "dist/cli/qonnect.mjs");
const bytes = await buildCli(outfile);
console.log(`${relative(process.cwd(), outfile)}: ${(bytes / 2 ** 20).toFixed(1)} MiB`);
