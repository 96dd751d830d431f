import type { Payload } from "./payload.js";
import type { BoardFacts } from "./probe.js";
import type { Release } from "./release.js";

/** One thing `apply` would do (or finds already done). */
export interface PlanStep {
  what: string;
  change: boolean;
  detail: string;
}

/** What a flash would change on one board; `refusal` says why it must not run at all. */
export interface FlashPlan {
  steps: PlanStep[];
  changes: number;
  rebootRequired: boolean;
  refusal?: string;
}

function nodeMajor(version: string): number {
  const m = /^v(\d+)\./.exec(version);
  return m ? Number(m[1]) : 0;
}

/** The plan, from the probe's facts and the payload (pure: the dry run and the real run print the same). */
export function planFlash(facts: BoardFacts, payload: Payload, release: Release): FlashPlan {
  const steps: PlanStep[] = [];
  const step = (what: string, change: boolean, detail: string) => steps.push({ what, change, detail });
  let refusal: string | undefined;
  if (release.arch !== "any" && release.arch !== facts.arch)
    refusal = `the release ships Node for ${release.arch} but the board is ${facts.arch}: pass --node with a ${facts.arch} Node binary`;
  else if (!release.hasNode && nodeMajor(facts.node) < 20)
    refusal = `the board has ${facts.node === "none" ? "no node" : `node ${facts.node}`} and the release ships none: pass --node FILE (a Node 20 binary for ${facts.arch}, e.g. bin/node of npm's node-linux-${facts.arch === "amd64" ? "x64" : facts.arch})`;
  else if (facts.serviceManager === "none")
    refusal =
      "the board runs no systemd (and QONNECT_SERVICE_MANAGER is unset): nothing could start the agent";

  const v = payload.version;
  if (facts.release === "ok") step(`release ${v}`, false, "installed, hashes match");
  else
    step(
      `release ${v}`,
      true,
      facts.release === "corrupt" ? "installed copy is corrupt: reinstall" : "install",
    );
  for (const t of payload.targets) {
    const have = facts.files.get(t.boardPath);
    const mode = t.mode.toString(8);
    if (!have) step(t.boardPath, true, `create (${mode} ${t.owner})`);
    else if (have.sha256 !== t.file.sha256) step(t.boardPath, true, `update contents (${mode} ${t.owner})`);
    else if (have.mode !== mode || have.owner !== t.owner)
      step(t.boardPath, true, `fix mode/owner ${have.mode} ${have.owner} → ${mode} ${t.owner}`);
    else step(t.boardPath, false, "unchanged");
  }
  let reboot = false;
  if (payload.settings.I2C === "on") {
    if (facts.i2cConfig === "off") {
      reboot = true;
      step("i2c", true, `dtparam=i2c_arm=on in ${facts.bootDir}/config.txt (reboot needed)`);
    } else step("i2c", false, "already on");
  }
  if (payload.settings.CGROUP === "on") {
    if (!facts.cgroupFlags) {
      reboot = true;
      step(
        "cgroup flags",
        true,
        `cgroup_memory=1 cgroup_enable=memory in ${facts.bootDir}/cmdline.txt (reboot needed)`,
      );
    } else step("cgroup flags", false, "already set");
  }
  if (payload.settings.K3S_URL)
    step(
      "k3s",
      !facts.k3s,
      facts.k3s ? "already installed" : `join ${payload.settings.K3S_URL} as an agent node`,
    );
  step(
    `enable ${payload.settings.SERVICE}`,
    !facts.serviceEnabled,
    facts.serviceEnabled ? "enabled" : "enable",
  );
  const switching = facts.current !== v;
  step("current", switching, switching ? `${facts.current} → ${v}, restart, health gate` : `already ${v}`);
  const changes = steps.filter((s) => s.change).length;
  if (changes === 0 && !facts.serviceActive) step(`start ${payload.settings.SERVICE}`, true, "not running");
  return { steps, changes: steps.filter((s) => s.change).length, rebootRequired: reboot, refusal };
}

/** The plan for people: one line per step, `+` for a change, `=` for nothing to do. */
export function formatPlan(plan: FlashPlan): string[] {
  const lines = plan.steps.map((s) => `${s.change ? "+" : "="} ${s.what}: ${s.detail}`);
  lines.push(`${plan.changes} to change${plan.rebootRequired ? " (reboot needed afterwards)" : ""}`);
  if (plan.refusal) lines.push(`refused: ${plan.refusal}`);
  return lines;
}
