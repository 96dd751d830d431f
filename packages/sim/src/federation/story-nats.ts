// A cloud NATS server is killed (kill -9) during the demo: nothing a user sees changes. Checked from outside,
// the way a user would notice: telemetry still reaches the Knowledge Base (a device's last-seen time moves on),
// `qonnect apply` still works, and Bookinfo still answers. The server is then started again on its store.
import { join } from "node:path";
import { cliOk, REPO_ROOT } from "./cli-process.js";
import type { StepResult, Story } from "./story.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface DeviceView {
  status?: { lastSeenMs?: number };
}

export async function cloudNatsLoss(story: Story, timeoutMs = 60_000): Promise<StepResult> {
  const fed = story.fed;
  const victim = fed.nats.cloud[0];
  const t0 = Date.now();
  if (!victim) return story.record("cloud NATS loss", t0, false, "no cloud NATS server");
  const pid = victim.pid();
  const device = [...fed.devices.values()].find((d) => d.process.running())?.device.name ?? "";
  await victim.stop("SIGKILL");
  const killedAt = Date.now();
  const checks: string[] = [];
  // telemetry: a summary written after the kill (the device's last-seen time moves past it)
  let flowing = false;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline && !flowing; await sleep(500)) {
    const seen = (await fed.rest.get<DeviceView>("devices", device).catch(() => undefined))?.status
      ?.lastSeenMs;
    flowing = (seen ?? 0) > killedAt + 1000;
  }
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  checks.push(
    flowing
      ? `telemetry of ${device} reached the Knowledge Base ${secs(Date.now() - killedAt)} after the kill`
      : `no telemetry of ${device} since the kill`,
  );
  const applyAt = Date.now();
  // the control API: an apply goes through (Bookinfo again, unchanged)
  let applied = false;
  try {
    await cliOk(["apply", "-f", join(REPO_ROOT, "examples/bookinfo.yaml"), ...fed.serverFlags()]);
    applied = true;
  } catch (err) {
    checks.push(`apply failed: ${(err as Error).message.split("\n")[0]}`);
  }
  if (applied)
    checks.push(`qonnect apply works (${secs(Date.now() - applyAt)}, a CLI process start included)`);
  const spec = await story.placement("bookinfo");
  const pp = spec?.placements.find((p) => p.service === "productpage");
  const answers = pp ? await story.answersWithin(story.productpagePort(pp.app, pp.replica), 20_000) : false;
  checks.push(answers ? "bookinfo answers" : "bookinfo does not answer");
  const ok = flowing && applied && answers;
  const r = story.record(
    "cloud NATS loss",
    t0,
    ok,
    `kill -9 ${victim.name} (pid ${pid}): ${checks.join(", ")}`,
  );
  try {
    await victim.start();
  } catch (err) {
    story.say(`  ${victim.name} did not start again: ${(err as Error).message.split("\n")[0]}`);
  }
  return r;
}
