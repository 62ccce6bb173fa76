// test/server/curl-path.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/curl-path.test.ts", () => import("../server/curl-path.test.js"));
