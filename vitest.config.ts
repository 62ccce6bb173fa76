import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real servers and CLIs; two cores are shared with them.
    pool: "forks",
    maxWorkers: 2,
  },
});
