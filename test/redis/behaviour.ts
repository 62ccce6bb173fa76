// Run an existing behaviour suite (test/server/…) again with every room's messages in Redis: a redis-server for the
// file, AGENT_CHAT_TEST_REDIS for test/support/room.ts, then the suite's own tests, unchanged — and a last test that
// checks the messages did go through Redis (the suite would pass in memory too, so that is what proves the point).
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { describeRedis, REDIS_SERVER, startRedis, tempDir } from "./helpers.js";

export async function onRedis(name: string, load: () => Promise<unknown>) {
  if (!existsSync(REDIS_SERVER)) return describeRedis(name, () => {});
  const t = tempDir();
  const redis = await startRedis(t.dir);
  process.env.AGENT_CHAT_TEST_REDIS = redis.url;
  afterAll(async () => {
    await redis.stop();
    t.cleanup();
  });
  await load();
  it(`${name}: the rooms' messages went through Redis`, async () => {
    const r = new Redis(redis.url);
    try {
      const stats = await r.info("commandstats");
      const appends = Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      expect(appends).toBeGreaterThan(5);
    } finally {
      r.disconnect();
    }
  });
}
