// test/server/moderation.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/moderation.test.ts", () => import("../server/moderation.test.js"));
