import { readdir } from "node:fs/promises";
import { arch, cpus, totalmem } from "node:os";
import { cpu as siCpu } from "systeminformation/lib/cpu.js";
import { readProcFile } from "../runtime/proc-file.js";
import { readMemInfo } from "./meminfo.js";

/** Device-wide utilisation at one instant. */
export interface SystemSample {
  /** 0..1 over all cores */
  cpuUtil: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  gpuUtil?: number;
  temperatureC?: number;
}

/** The static facts of the machine, sent in the registration message. */
export interface SystemFacts {
  arch: string;
  cpuModel: string;
  cpuCores: number;
  memoryBytes: number;
  gpus: number;
}

const JETSON_GPU_LOAD = "/sys/devices/gpu.0/load"; // 0..1000

/**
 * Samples memory from an asynchronous /proc/meminfo read (systeminformation's semantics), CPU utilisation from the
 * difference of two asynchronous /proc/stat reads, temperature from the thermal zones and GPU load where the
 * board exposes it in sysfs (Jetson). Nothing blocks the event loop. (systeminformation's currentLoad() runs
 * `cat /proc/stat | grep cpu` with execSync on Linux at every call: a blocked loop and a shell per sample.)
 * The registration facts use systeminformation's `cpu()` (brand clean-up, Raspberry Pi decoding) through its
 * cpu module alone: the whole library costs ~3 MB of RSS on a 60 MB budget.
 */
export class SystemSampler {
  private thermalZone?: string | null;
  private readonly cpu = new CpuTimes();

  async sample(): Promise<SystemSample> {
    const [cpuUtil, mem, temperatureC, gpuUtil] = await Promise.all([
      this.cpu.utilisation(),
      readMemInfo(),
      this.temperatureC(),
      readNumber(JETSON_GPU_LOAD).then((v) => (v === undefined ? undefined : v / 1000)),
    ]);
    return {
      cpuUtil,
      memoryUsedBytes: mem.activeBytes,
      memoryTotalBytes: mem.totalBytes,
      gpuUtil,
      temperatureC,
    };
  }

  async facts(): Promise<SystemFacts> {
    const cpu = await siCpu().catch(() => undefined);
    const model = cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : (cpus()[0]?.model ?? "unknown");
    const gpus = (await readNumber(JETSON_GPU_LOAD)) !== undefined ? 1 : await countNvidiaGpus();
    return {
      arch: ARCH_NAMES[arch()] ?? arch(),
      cpuModel: model,
      cpuCores: cpu?.cores ?? cpus().length,
      memoryBytes: totalmem(),
      gpus,
    };
  }

  private async temperatureC(): Promise<number | undefined> {
    if (this.thermalZone === undefined) {
      const zones = await readdir("/sys/class/thermal").catch(() => [] as string[]);
      const zone = zones.find((z) => z.startsWith("thermal_zone"));
      this.thermalZone = zone ? `/sys/class/thermal/${zone}/temp` : null;
    }
    if (this.thermalZone === null) return undefined;
    const milli = await readNumber(this.thermalZone);
    return milli === undefined ? undefined : milli / 1000;
  }
}

/** Device CPU utilisation between successive calls, from the aggregate `cpu` line of /proc/stat. */
export class CpuTimes {
  private last?: { busy: number; total: number };

  /** 0..1 since the previous call (the first call measures since boot). */
  async utilisation(): Promise<number> {
    const now = await readCpuTimes();
    const prev = this.last;
    this.last = now;
    const total = now.total - (prev?.total ?? 0);
    return total > 0 ? clamp01((now.busy - (prev?.busy ?? 0)) / total) : 0;
  }
}

async function readCpuTimes(): Promise<{ busy: number; total: number }> {
  try {
    const stat = await readProcFile("/proc/stat");
    const line = stat.slice(0, stat.indexOf("\n"));
    // cpu user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    let busy = 0;
    let total = 0;
    for (const c of cpus()) {
      const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
      total += t;
      busy += t - c.times.idle;
    }
    return { busy, total };
  }
}

const ARCH_NAMES: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm" };

async function readNumber(file: string): Promise<number | undefined> {
  try {
    const value = Number((await readProcFile(file)).trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function countNvidiaGpus(): Promise<number> {
  const entries = await readdir("/dev").catch(() => [] as string[]);
  return entries.filter((e) => /^nvidia\d+$/.test(e)).length;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
