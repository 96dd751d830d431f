// `pnpm build:cli` (and `make install`): dist/cli/qonnect.mjs, the whole CLI in one file (packages/cli/src/bundle.ts).
import { join, relative, resolve } from "node:path";
import { buildCli } from "../packages/cli/src/bundle.js";

const outfile = join(resolve(import.meta.dirname, ".."), "dist/cli/qonnect.mjs");
const bytes = await buildCli(outfile);
console.log(`${relative(process.cwd(), outfile)}: ${(bytes / 2 ** 20).toFixed(1)} MiB`);
