// test/server/hardening.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/server/hardening.test.ts", () => import("../server/hardening.test.js"));
