// test/server/stream.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/stream.test.ts", () => import("../server/stream.test.js"));
