import { describe, it } from "vitest";
import { MemoryStorage } from "./memory-storage.js";
import { runStorageSuite } from "./storage.suite.js";

describe("MemoryStorage", () => {
  runStorageSuite({ test: it, create: () => new MemoryStorage() });
});
