// test/server/rooms.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/rooms.test.ts", () => import("../server/rooms.test.js"));
