import { readdir, readFile } from "node:fs/promises";
import { arch, cpus, totalmem } from "node:os";
import si from "systeminformation";

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
 * Samples CPU and memory with systeminformation (asynchronous /proc reads; nothing blocks the event loop),
 * temperature from the thermal zones and GPU load where the board exposes it in sysfs (Jetson).
 */
export class SystemSampler {
  private thermalZone?: string | null;

  async sample(): Promise<SystemSample> {
    const [load, mem, temperatureC, gpuUtil] = await Promise.all([
      si.currentLoad(),
      si.mem(),
      this.temperatureC(),
      readNumber(JETSON_GPU_LOAD).then((v) => (v === undefined ? undefined : v / 1000)),
    ]);
    return {
      cpuUtil: clamp01(load.currentLoad / 100),
      memoryUsedBytes: mem.active,
      memoryTotalBytes: mem.total,
      gpuUtil,
      temperatureC,
    };
  }

  async facts(): Promise<SystemFacts> {
    const cpu = await si.cpu().catch(() => undefined);
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

const ARCH_NAMES: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm" };

async function readNumber(file: string): Promise<number | undefined> {
  try {
    const value = Number((await readFile(file, "utf8")).trim());
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
