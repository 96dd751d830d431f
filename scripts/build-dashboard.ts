// `pnpm build:dashboard`: bundles the dashboard UI into packages/kb/src/dashboard/assets.gen.ts.
import { writeFileSync } from "node:fs";
import { ASSETS_MODULE, assetsModule, buildDashboard } from "../packages/kb/src/dashboard/build.js";

const a = await buildDashboard();
writeFileSync(ASSETS_MODULE, assetsModule(a));
const kb = (s: string) => `${(Buffer.byteLength(s) / 1024).toFixed(1)} KiB`;
console.log(`dashboard bundle: app.js ${kb(a.js)}, app.css ${kb(a.css)} → ${ASSETS_MODULE}`);
