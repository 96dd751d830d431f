import { type ChildProcess, spawn } from "node:child_process";

/**
 * Kills the agent's workloads when the agent dies, however it dies (even SIGKILL): a tiny `sh` process,
 * in its own process group, reads "add <pgid>" / "del <pgid>" lines on a pipe from the agent. When the pipe
 * closes (the agent is gone) it sends SIGTERM to every live group, waits the grace period, then SIGKILL.
 */
const SCRIPT = `
pgs=" "
while IFS= read -r line; do
  case "$line" in
    "add "*) pgs="$pgs\${line#add } " ;;
    "del "*) pgs=$(printf '%s' "$pgs" | sed "s/ \${line#del } / /") ;;
  esac
done
for pg in $pgs; do kill -TERM "-$pg" 2>/dev/null; done
for pg in $pgs; do
  i=0
  while kill -0 "-$pg" 2>/dev/null && [ "$i" -lt "$1" ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "-$pg" 2>/dev/null
done
`;

export class Watchdog {
  private child: ChildProcess;

  constructor(graceMs: number) {
    const tenths = String(Math.max(1, Math.ceil(graceMs / 100)));
    this.child = spawn("/bin/sh", ["-c", SCRIPT, "qonnect-watchdog", tenths], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    this.child.unref();
    this.child.on("error", () => {});
    this.child.stdin?.on("error", () => {});
    // the pipe must not keep the agent's event loop alive
    (this.child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  watch(pgid: number): void {
    this.child.stdin?.write(`add ${pgid}\n`);
  }

  unwatch(pgid: number): void {
    this.child.stdin?.write(`del ${pgid}\n`);
  }

  /** Normal shutdown: workloads are already stopped; the watchdog exits when its pipe closes. */
  close(): void {
    this.child.stdin?.end();
  }
}
