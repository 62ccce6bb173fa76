// listen: stream the room's messages to stdout until stopped. Reconnects and resumes without loss; falls back to
// long-poll by itself when a proxy or tunnel buffers the stream. It does not move your read cursor.
import { createClient } from "../../client/http.js";
import { roomConn, targetFrom } from "../../client/session.js";
import { live } from "../../client/live.js";
import { command, connArgs, intFlag } from "./_shared.js";

export default command({
  meta: { name: "listen", description: "stream messages to stdout until stopped (Ctrl-C); reconnects and resumes without loss" },
  args: {
    ...connArgs,
    after: { type: "string", valueHint: "id", description: "Start after this message id instead of now, e.g. --after 0 (the whole history)" },
    poll: { type: "boolean", description: "Use long-poll from the start instead of streaming, e.g. --poll" },
  },
  examples: ["agent-chat listen", "agent-chat listen --after 0 --json > room.jsonl", "agent-chat listen --url http://127.0.0.1:8765 --password pw --poll"],
  async run({ args }) {
    const { conn, session } = roomConn(targetFrom(args));
    const after = intFlag(args.after, "after", 0) ?? (await createClient(conn).messages(undefined, 0)).next;
    await live({ conn, after, me: session?.name, json: args.json, poll: args.poll });
  },
});
