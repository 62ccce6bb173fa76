// test/server/limits.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/limits.test.ts", () => import("../server/limits.test.js"));
