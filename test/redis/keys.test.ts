// test/server/keys.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/keys.test.ts", () => import("../server/keys.test.js"));
