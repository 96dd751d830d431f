// The process around `pnpm hil` (see hil.ts).
import { main } from "./hil.js";

process.exit(await main(process.argv.slice(2)));
