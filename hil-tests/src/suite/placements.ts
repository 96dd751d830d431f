// Where the suite's replicas run, as the region's fog leads see it.
import { HIL_APP, HIL_SERVICE, type RigUnderTest } from "../rig-under-test.js";

/** replica → device of the suite's service, from the freshest fog lead's view. */
export async function replicaDevices(rig: RigUnderTest): Promise<Map<number, string>> {
  const st = await rig.regionState();
  const out = new Map<number, string>();
  for (const p of st?.placements ?? [])
    if (p.app === HIL_APP && p.service === HIL_SERVICE) out.set(p.replica, p.device);
  return out;
}

/** A device board (selected, with the given hardware) hosting replica `replica`, if any. */
export async function boardHosting(
  rig: RigUnderTest,
  replica: number,
  has: (board: string) => boolean,
): Promise<string | undefined> {
  const where = (await replicaDevices(rig)).get(replica);
  return where && rig.devices.some((b) => b.name === where) && has(where) ? where : undefined;
}

/** Waits until both replicas are placed and answer; true when they do within `timeoutS`. */
export async function replicasAnswer(rig: RigUnderTest, timeoutS: number): Promise<boolean> {
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    const where = await replicaDevices(rig).catch(() => new Map<number, string>());
    if (where.size >= 2) {
      const ok = await Promise.all([...where].map(([r, d]) => rig.answers(d, rig.replicaPort(r))));
      if (ok.every(Boolean)) return true;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}
