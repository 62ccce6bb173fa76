// test/ws/socket.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/ws/socket.test.ts", () => import("../ws/socket.test.js"));
