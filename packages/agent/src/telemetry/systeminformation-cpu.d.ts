// systeminformation's cpu module on its own (the package has no `exports` map; its index loads every module).
declare module "systeminformation/lib/cpu.js" {
  import type { Systeminformation } from "systeminformation";
  export function cpu(): Promise<Systeminformation.CpuData>;
}
