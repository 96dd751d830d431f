// What the federation's start and stop say when a process does not come up or will not go, and the wait
// they use (a condition polled until a deadline, no fixed sleeps).
import { httpGet } from "./kb-rest.js";

export class FederationStartError extends Error {
  override name = "FederationStartError";
  constructor(
    readonly component: string,
    detail: string,
  ) {
    super(`${component} did not come up: ${detail}`);
  }
}

export class FederationStopError extends Error {
  override name = "FederationStopError";
  constructor(readonly processGroups: number[]) {
    super(
      `process groups ${processGroups.join(", ")} still have processes after stop; kill them with kill -9 -PGID`,
    );
  }
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new FederationStartError(what, `not ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function httpOk(url: string, caPem?: string): Promise<boolean> {
  const res = await httpGet(url, { timeoutMs: 2000, ...(caPem ? { caPem } : {}) });
  return res.status >= 200 && res.status < 300;
}
