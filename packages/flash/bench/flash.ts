// `pnpm bench flash [--json] [--smoke]`: qonnect flash against namespaced boards (real sshd, the real agent
// bundle under the host's node, a real nats-server; a stand-in supervisor instead of systemd):
//   - install onto one fresh board (3 boards one after another; --smoke: 1), wall time from connect to the
//     health gate passing (first telemetry published);
//   - install onto 20 fresh boards with --parallel 10 (--smoke: 4 with --parallel 2): total wall time, and
//     per-board p50/p99;
//   - a release whose health gate fails: time from the gate's verdict to the old agent healthy again
//     (rollback), beside the whole failed run (which includes the gate window, 10 s here).
// Anchors: balena waits up to 15 minutes before rolling an update back; RAUC gives a slot three boot tries.
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { flashOverSsh } from "../src/flash-ssh.js";
import { flashFleet } from "../src/fleet.js";
import { loadRelease } from "../src/release.js";
import { TestLan } from "../src/testdata/board-lan.js";
import { agentBundle, brokenBundle, deviceConfig } from "../src/testdata/fixtures.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const smoke = args.includes("--smoke");
const log = (s: string) => process.stderr.write(`${s}\n`);
const singles = smoke ? 1 : 3;
const fleetSize = smoke ? 4 : 20;
const parallel = smoke ? 2 : 10;
const windowS = smoke ? 5 : 10;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

const loadAtStart = loadavg()[0] ?? 0; // other work on the machine slows every process start: say how much
const lan = await TestLan.start();
const metrics: Record<string, number> = {};
try {
  const bundle = agentBundle(join(lan.dir, "bundle"));
  const release = loadRelease(bundle);
  const ssh = { identityFile: lan.identityFile, knownHostsFile: lan.knownHostsFile };

  const single: number[] = [];
  for (let i = 0; i < singles; i++) {
    const board = await lan.addBoard({ name: `one-${i}` });
    lan.trust(board);
    const t0 = performance.now();
    const r = await flashOverSsh({
      ...ssh,
      target: board.target,
      device: deviceConfig(lan, `one-${i}`),
      release,
    });
    single.push((performance.now() - t0) / 1000);
    if (r.health !== "ok") throw new Error(`install on ${board.name}: ${r.health}`);
    log(`one board: ${single.at(-1)?.toFixed(1)} s`);
  }

  const boards = [];
  for (let i = 0; i < fleetSize; i++) {
    const board = await lan.addBoard({ name: `fleet-${i}` });
    lan.trust(board);
    boards.push({
      target: board.target,
      deviceConfig: deviceConfig(lan, `fleet-${i}`).file,
      release: bundle,
    });
  }
  const t0 = performance.now();
  const states = await flashFleet({ ...ssh, boards, parallel });
  const fleetS = (performance.now() - t0) / 1000;
  const failed = states.filter((s) => s.outcome !== "changed");
  if (failed.length)
    throw new Error(`fleet: ${failed.map((s) => `${s.target} ${s.outcome} ${s.message}`).join("; ")}`);
  const perBoard = states.map((s) => (s.durationMs ?? 0) / 1000);
  log(`${fleetSize} boards, --parallel ${parallel}: ${fleetS.toFixed(1)} s`);

  // rollback: the first single board runs the good release; a broken one must come back to it
  const broken = loadRelease(brokenBundle(bundle, join(lan.dir, "broken")));
  const board = lan.boards[0];
  if (!board) throw new Error("no board");
  const times: Record<string, number> = {};
  const start = performance.now();
  await flashOverSsh({
    ...ssh,
    target: board.target,
    device: deviceConfig(lan, "one-0", { windowS }),
    release: broken,
    onEvent: (e) => {
      if (e.kind === "board" && e.line.startsWith("gate failed")) times.verdict = performance.now();
      if (e.kind === "board" && e.line === "health ok after rollback") times.healthy = performance.now();
    },
  }).catch(() => {});
  if (!times.verdict || !times.healthy)
    throw new Error("the failed release was not rolled back to a healthy agent");
  const failedRunS = (performance.now() - start) / 1000;
  const rollbackS = (times.healthy - times.verdict) / 1000;
  log(
    `failed gate (window ${windowS} s): whole run ${failedRunS.toFixed(1)} s, rollback to healthy ${rollbackS.toFixed(1)} s`,
  );

  Object.assign(metrics, {
    install_one_board_p50_s: pct(single, 50),
    install_one_board_p99_s: pct(single, 99),
    fleet_boards: fleetSize,
    fleet_parallel: parallel,
    fleet_total_s: fleetS,
    fleet_per_board_p50_s: pct(perBoard, 50),
    fleet_per_board_p99_s: pct(perBoard, 99),
    gate_window_s: windowS,
    failed_gate_run_s: failedRunS,
    rollback_to_healthy_s: rollbackS,
    anchor_balena_health_window_s: 900,
    anchor_rauc_boot_tries: 3,
  });
  const rows = [
    [
      "install onto one board",
      `p50 ${pct(single, 50).toFixed(1)} s`,
      `p99 ${pct(single, 99).toFixed(1)} s`,
      `${singles} fresh boards`,
    ],
    [
      `${fleetSize} boards, --parallel ${parallel}`,
      `total ${fleetS.toFixed(1)} s`,
      `per board p50 ${pct(perBoard, 50).toFixed(1)} s / p99 ${pct(perBoard, 99).toFixed(1)} s`,
      "",
    ],
    [
      "failed health gate",
      `rollback ${rollbackS.toFixed(1)} s`,
      `whole run ${failedRunS.toFixed(1)} s`,
      `gate window ${windowS} s (balena: 15 min; RAUC: 3 boot tries)`,
    ],
  ];
  for (const r of rows) console.log(r.join("  |  "));
} finally {
  await lan.stop();
}
if (json)
  console.log(
    JSON.stringify({
      bench: "flash",
      metrics,
      env: {
        cpus: cpus().length,
        loadAvg1AtStart: loadAtStart,
        node: process.version,
        smoke,
        transport: "ssh over veth in network namespaces",
      },
    }),
  );
