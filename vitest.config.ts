import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Safety nets for a hung test, not measurements: tests wait for conditions, and on a busy machine (two suites
    // on two shared cores) a test that takes 10 s alone can take several times that.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a condition; its default 1 s is a deadline that a busy machine misses (a service worker
    // activating in Chromium while another suite runs). 30 s is a safety net, like the timeouts above.
    expect: { poll: { timeout: 30_000 } },
    // Tests spawn real servers and CLIs; two cores are shared with them.
    pool: "forks",
    maxWorkers: 2,
  },
});
