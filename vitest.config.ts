import { defineConfig } from "vitest/config";

// One vitest run over every package: tests live beside the code they test (`*.test.ts`).
export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "hil-tests/**/*.test.ts", "scripts/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
