// test/server/caught-up.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/caught-up.test.ts", () => import("../server/caught-up.test.js"));
