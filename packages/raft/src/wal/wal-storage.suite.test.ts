// The shared Storage suite (storage.suite.ts) over the write-ahead log, reopening from disk where it asks.
import { tempDir } from "@qonnect/testkit";
import { afterAll, describe, it } from "vitest";
import type { Storage } from "../storage.js";
import { runStorageSuite } from "../storage.suite.js";
import { WalStorage } from "./wal-storage.js";

const dirs: { remove(): void }[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe("WalStorage (shared suite)", () => {
  runStorageSuite({
    test: it,
    create: () => {
      const d = tempDir("qonnect-wal-suite-");
      dirs.push(d);
      return WalStorage.open(d.path, { segmentSizeBytes: 512 });
    },
    reopen: (s: Storage) => {
      const w = s as WalStorage;
      w.close();
      return WalStorage.open(w.dir, { segmentSizeBytes: 512 });
    },
  });
});
