// Several in-process `serve --redis` servers sharing one Redis and one key prefix: one fleet, any number of
// instances, each a real HTTP server on its own port (test/redis/helpers.ts has the process-based ones, for SIGKILL).
import { afterAll, afterEach } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { startRedis, tempDir, type TestRedis } from "./helpers.js";
import type { ServerOptions } from "../../src/server/index.js";

export interface Fleet {
  redis: TestRedis;
  /** n instances of a new fleet (a fresh prefix): the first one's password and host token are everyone's. */
  start(n: number, opts?: Partial<ServerOptions>): Promise<TestRoom[]>;
  /** n more instances of the fleet started last (the same Redis and prefix). */
  more(n: number, opts?: Partial<ServerOptions>): Promise<TestRoom[]>;
}

/** One redis-server for the file; every fleet started in a test is closed after it. */
export function useFleet(): Fleet {
  const t = tempDir();
  let redis: TestRedis | undefined;
  const open: TestRoom[] = [];
  let last: { prefix: string; password: string; opts: Partial<ServerOptions> } | undefined;
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await redis?.stop();
    t.cleanup();
  });
  const fleet = {
    get redis() {
      return redis!;
    },
    async start(n: number, opts: Partial<ServerOptions> = {}) {
      redis ??= await startRedis(t.dir);
      const prefix = `f${Math.random().toString(36).slice(2, 10)}:`;
      const password = "fleet-pass-" + Math.random().toString(36).slice(2, 8);
      last = { prefix, password, opts };
      const first = await startTestRoom({ redis: redis.url, redisPrefix: prefix, password, ...opts });
      open.push(first);
      return [first, ...(await fleet.more(n - 1))];
    },
    async more(n: number, opts: Partial<ServerOptions> = {}) {
      const l = last!;
      const rest = await Promise.all(Array.from({ length: n }, () => startTestRoom({ redis: redis!.url, redisPrefix: l.prefix, password: l.password, ...l.opts, ...opts })));
      open.push(...rest);
      return rest;
    },
  };
  return fleet as Fleet;
}

export const jsonOf = async (r: Response) => ({ status: r.status, body: (await r.json()) as any });
/** [status, error code] of a response, for one-line expectations. */
export const refusal = async (r: Response) => {
  const j = await jsonOf(r);
  return [j.status, j.body.error?.code];
};
