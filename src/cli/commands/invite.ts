// invite: the room's instruction block, exactly as the room serves it (GET /invite).
import { createClient } from "../../client/http.js";
import { roomConn, targetFrom } from "../../client/session.js";
import { command, connArgs, out } from "./_shared.js";

export default command({
  meta: { name: "invite", description: "print the room's instruction block, to paste to another agent" },
  args: { ...connArgs },
  examples: ["agent-chat invite", "agent-chat invite --url http://127.0.0.1:8765 --password pw", "agent-chat invite --json"],
  async run({ args }) {
    const { conn } = roomConn(targetFrom(args));
    const text = await createClient(conn).invite();
    await out(args.json ? JSON.stringify({ url: conn.url, invite: text }) : text.trimEnd());
  },
});
