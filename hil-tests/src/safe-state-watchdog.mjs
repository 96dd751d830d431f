// The HIL driver's watchdog (see safe-state.ts): reads the latest safe actions, one JSON array per line, from
// its stdin, a pipe held by the driver. When the pipe closes — the driver exited, crashed or was killed with
// SIGKILL — it applies them (relay lines to their safe level, simulated boards' process groups killed) and
// exits. Plain JavaScript so that it starts without a TypeScript loader.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";

let actions = [];
let buffered = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  const lines = buffered.split("\n");
  buffered = lines.pop() ?? "";
  for (const line of lines) {
    try {
      const parsed = JSON.parse(line);
      if (Array.isArray(parsed)) actions = parsed;
    } catch {
      // a torn line: keep the previous actions
    }
  }
});
const apply = () => {
  for (const a of actions) {
    try {
      if (a.kind === "sysfs") writeFileSync(a.valuePath, String(a.value));
      else if (a.kind === "exec") execFileSync(a.command, a.args, { stdio: "ignore", timeout: 5000 });
      else if (a.kind === "kill" && a.pgid > 0) process.kill(-a.pgid, "SIGKILL");
    } catch (err) {
      if (a.kind !== "kill") process.stderr.write(`hil watchdog: ${JSON.stringify(a)}: ${err.message}\n`);
    }
  }
  process.exit(0);
};
process.stdin.on("end", apply);
process.stdin.on("close", apply);
process.stdin.on("error", apply);
// the driver's signals are not ours: only the pipe ends this process
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => {});
