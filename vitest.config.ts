import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Safety nets for a hung test, not measurements: tests wait for conditions, and on a busy machine (two suites
    // on two shared cores) a test that takes 10 s alone can take several times that.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn real servers and CLIs; two cores are shared with them.
    pool: "forks",
    maxWorkers: 2,
  },
});
