// test/server/private.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/private.test.ts", () => import("../server/private.test.js"));
