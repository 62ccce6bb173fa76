// test/ws/rooms.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/ws/rooms.test.ts", () => import("../ws/rooms.test.js"));
