// `pnpm security [--json]`: the attack suite (packages/cli/src/security). Human lines by default; with --json
// one JSON object per attempt and, on the last line, {"attempts","refused","crashes","dataLost"}.
// Exits 1 unless every attempt was refused with no crash and no data lost.
import { runSecuritySuite } from "../packages/cli/src/security/suite.js";

const json = process.argv.includes("--json");
const summary = await runSecuritySuite((a) => {
  if (json) console.log(JSON.stringify(a));
  else
    console.log(
      `${a.refused ? "refused " : "ALLOWED "} ${a.area.padEnd(7)} ${a.name}${a.crashed ? " [CRASH]" : ""}${a.dataLost ? " [DATA LOST]" : ""} — ${a.detail}`,
    );
});
console.log(JSON.stringify(summary));
process.exit(summary.refused === summary.attempts && summary.crashes === 0 && summary.dataLost === 0 ? 0 : 1);
