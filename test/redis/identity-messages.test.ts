// test/identity/messages.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/identity/messages.test.ts", () => import("../identity/messages.test.js"));
