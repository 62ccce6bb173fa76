// test/identity/join.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/identity/join.test.ts", () => import("../identity/join.test.js"));
