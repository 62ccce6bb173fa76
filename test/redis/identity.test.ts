// test/server/identity.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/identity.test.ts", () => import("../server/identity.test.js"));
