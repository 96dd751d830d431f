// The demo's state file (DESIGN.md §9), written atomically (temp file, fsync, rename) so a tool that reads
// it never sees half of it.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface DemoState {
  schema: 1;
  kb: { http: string; grpc: string; pid: number };
  token: string;
  tokens: { viewer: string; operator: string; admin: string };
  ca: string | null;
  credentials: { observer: string | null };
  nats: string[];
  natsLeaf: Record<string, string>;
  regions: Record<string, { fog: { id: number; grpc: string; pid: number }[] }>;
  devices: { name: string; region: string; site: string; pid: number; pgid: number }[];
}

export function writeStateFile(path: string, state: DemoState): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
