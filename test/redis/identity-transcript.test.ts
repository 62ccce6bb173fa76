// test/identity/transcript.test.ts with the room's messages in Redis.
import { onRedis } from "./behaviour.js";

await onRedis("test/identity/transcript.test.ts", () => import("../identity/transcript.test.js"));
