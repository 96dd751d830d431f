import { EPS } from "./filter.js";
import type { Problem } from "./problem.js";
import type { Move, PlacementEntry } from "./types.js";

// Turns "where replicas run now" and "where they should run" into ordered steps. Make-before-break: a moved
// replica starts on its new device before it stops on the old one, so a service never loses all its
// replicas at once. When no pending start has room until something stops, one replica of a service that
// still has another running one breaks first.

interface Pending {
  service: number;
  replica: number;
  from: number;
  to: number;
  why: string;
}

export function orderMoves(
  p: Problem,
  assignment: Int32Array,
  current: readonly PlacementEntry[],
  why: (i: number) => string,
): Move[] {
  const devices = p.inventory.devices;
  const deviceIndex = new Map(devices.map((d, i) => [d.name, i]));
  const free = { cpu: p.freeCpu.slice(), mem: p.freeMemory.slice(), gpu: p.freeGpu.slice() };
  const running = new Map<number, number>(); // service → replicas running now
  const out: Move[] = [];
  const emit = (op: Move["op"], service: number, replica: number, device: number, reason: string) =>
    out.push({
      step: out.length + 1,
      op,
      app: p.app.name,
      service: p.services[service]?.service.name ?? "",
      replica,
      device: devices[device]!.name,
      why: reason,
    });
  const take = (s: number, d: number, sign: number) => {
    const svc = p.services[s]!.service;
    free.cpu[d] = free.cpu[d]! - sign * svc.cpuCores;
    free.mem[d] = free.mem[d]! - sign * svc.memoryBytes;
    free.gpu[d] = free.gpu[d]! - sign * svc.gpus;
  };
  // what runs now occupies its device; replicas no longer wanted stop first
  const byName = new Map(p.services.map((s) => [s.service.name, s.index]));
  for (const c of current) {
    if (c.app !== p.app.name) continue;
    const d = deviceIndex.get(c.device);
    const s = byName.get(c.service);
    if (d === undefined || !devices[d]!.alive) continue;
    if (s === undefined || c.replica >= p.services[s]!.replicas) {
      out.push({
        step: out.length + 1,
        op: "stop",
        app: p.app.name,
        service: c.service,
        replica: c.replica,
        device: c.device,
        why: "removed",
      });
      continue;
    }
    take(s, d, 1);
    running.set(s, (running.get(s) ?? 0) + 1);
  }
  const pending: Pending[] = [];
  for (let i = 0; i < p.replicaCount; i++) {
    const to = assignment[i]!;
    const from = p.previous[i]!;
    if (to < 0 || to === from) continue;
    const s = p.serviceOf[i]!;
    pending.push({ service: s, replica: i - p.services[s]!.firstReplica, from, to, why: why(i) });
  }
  const fits = (m: Pending) => {
    const svc = p.services[m.service]!.service;
    return (
      free.cpu[m.to]! >= svc.cpuCores - EPS &&
      free.mem[m.to]! >= svc.memoryBytes - EPS &&
      free.gpu[m.to]! >= svc.gpus - EPS
    );
  };
  const alive = (d: number) => d >= 0 && devices[d]!.alive;
  while (pending.length > 0) {
    let k = pending.findIndex(fits);
    if (k >= 0) {
      const m = pending.splice(k, 1)[0]!;
      emit("start", m.service, m.replica, m.to, m.why);
      take(m.service, m.to, 1);
      if (alive(m.from)) {
        emit("stop", m.service, m.replica, m.from, m.why);
        take(m.service, m.from, -1);
      } else running.set(m.service, (running.get(m.service) ?? 0) + 1);
      continue;
    }
    // no headroom anywhere: break one whose service keeps another replica running
    k = pending.findIndex((m) => alive(m.from) && (running.get(m.service) ?? 0) > 1);
    if (k < 0) k = pending.findIndex((m) => alive(m.from));
    if (k < 0) k = 0;
    const m = pending.splice(k, 1)[0]!;
    const note = `${m.why} (break-before-make: no headroom)`;
    if (alive(m.from)) {
      emit("stop", m.service, m.replica, m.from, note);
      take(m.service, m.from, -1);
    }
    emit("start", m.service, m.replica, m.to, note);
    take(m.service, m.to, 1);
  }
  return out;
}
