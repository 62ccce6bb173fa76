// test/identity/verify-pool.test.ts with the rooms' messages in Redis: signatures checked in worker threads,
// stored in arrival order, replays and corrupted ones refused, when the store decides the append.
import { onRedis } from "./behaviour.js";

await onRedis("test/identity/verify-pool.test.ts", () => import("../identity/verify-pool.test.js"));
