/** A partition of an MBR partition table. */
export interface MbrPartition {
  index: number;
  type: number;
  startLba: number;
  sectors: number;
  offsetBytes: number;
}

const FAT_TYPES = new Set([0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e]);

/** The four primary partitions of an MBR (the first 512 bytes of a disk image); empty ones are left out. */
export function readMbr(sector0: Buffer): MbrPartition[] | "gpt" | "none" {
  if (sector0.length < 512 || sector0[510] !== 0x55 || sector0[511] !== 0xaa) return "none";
  const parts: MbrPartition[] = [];
  for (let i = 0; i < 4; i++) {
    const e = 446 + i * 16;
    const type = sector0[e + 4] ?? 0;
    if (type === 0) continue;
    if (type === 0xee) return "gpt";
    const startLba = sector0.readUInt32LE(e + 8);
    parts.push({
      index: i + 1,
      type,
      startLba,
      sectors: sector0.readUInt32LE(e + 12),
      offsetBytes: startLba * 512,
    });
  }
  return parts;
}

/** The boot partition of a Raspberry Pi OS image: the first FAT partition. */
export function bootPartition(parts: MbrPartition[]): MbrPartition | undefined {
  return parts.find((p) => FAT_TYPES.has(p.type));
}
