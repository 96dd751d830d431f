// Opens the store a `--store` flag names: `sqlite` (a file in the data directory) or a `postgres://` URL.
import type { Store } from "./store.js";

export async function openStore(
  spec: string,
  dataDir: string,
  options: { schema?: string } = {},
): Promise<Store> {
  if (spec === "sqlite" || spec === "") {
    const { SqliteStore } = await import("./sqlite-store.js");
    return new SqliteStore(dataDir);
  }
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const { PostgresStore } = await import("./postgres-store.js");
    return PostgresStore.open(spec, options);
  }
  throw new Error(`--store must be "sqlite" or a postgres:// URL, not "${spec}"`);
}
