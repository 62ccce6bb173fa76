// test/server/api.test.ts (every route and error code, SSE, long-poll) with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/api.test.ts", () => import("../server/api.test.js"));
