// Connecting to Redis (serve --redis / AGENT_CHAT_REDIS): two connections per instance — one for commands, one held
// by the subscription that feeds every room of this instance (a subscribed connection can run nothing else).
// Both reconnect by themselves for ever; commands never wait for a reconnect (no offline queue, no retry): a
// request that cannot reach Redis is answered 503 STORE_UNAVAILABLE at once instead of hanging or, for an append,
// being sent twice.
import { Redis, type RedisOptions } from "ioredis";
import { StoreUnreachable } from "./unreachable.js";

const common: RedisOptions = {
  lazyConnect: true,
  connectTimeout: 5_000,
  // Reconnect for ever, at most a second apart: an instance recovers by itself when Redis is back.
  retryStrategy: (times) => Math.min(100 * times, 1_000),
};

/** Where a URL points, without its password (for errors and logs). */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    u.username = "";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}

/** Connect both clients, or throw StoreUnreachable with one line saying why (the first connection is not retried). */
export async function connectRedis(url: string): Promise<{ cmd: Redis; sub: Redis }> {
  if (!/^rediss?:\/\//.test(url)) throw new StoreUnreachable(`--redis must be a redis:// or rediss:// URL (got "${url.slice(0, 60)}").`);
  const cmd = new Redis(url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 5_000 });
  const sub = new Redis(url, { ...common, maxRetriesPerRequest: null });
  // ioredis reports every failed reconnect as an 'error' event; the instance reports the outage itself (503s).
  for (const c of [cmd, sub]) c.on("error", () => {});
  try {
    await Promise.all([firstConnect(cmd), firstConnect(sub)]);
    await cmd.ping();
  } catch (err) {
    cmd.disconnect();
    sub.disconnect();
    throw new StoreUnreachable(`Redis at ${shownUrl(url)} is unreachable: ${(err as Error).message}`);
  }
  return { cmd, sub };
}

/** The first connect fails instead of retrying for ever (serve refuses to start). */
async function firstConnect(c: Redis) {
  const retry = c.options.retryStrategy;
  c.options.retryStrategy = () => null;
  let cause: Error | undefined; // connect() itself only says "Connection is closed"
  const onError = (e: Error) => void (cause ??= e);
  c.on("error", onError);
  try {
    await c.connect();
  } catch (err) {
    throw cause ?? err;
  } finally {
    c.off("error", onError);
    c.options.retryStrategy = retry;
  }
}
