import { tempDir } from "@qonnect/testkit";
import { SqliteStore } from "./sqlite-store.js";
import { storeSuite } from "./store-suite.js";

storeSuite("SQLite", () => {
  const dir = tempDir("kb-sqlite-");
  return {
    open: async () => new SqliteStore(dir.path),
    reopen: async () => new SqliteStore(dir.path),
    cleanup: async () => dir.remove(),
  };
});
