// leave: release your name in the room and forget the saved identity on this machine.
import { createClient } from "../../client/http.js";
import { CliError, Exit } from "../../client/exit.js";
import { requireSession, sessionConn, targetFrom } from "../../client/session.js";
import { removeSession } from "../../client/state.js";
import { command, connArgs, out } from "./_shared.js";

export default command({
  meta: { name: "leave", description: "leave the room (frees your name) and forget it on this machine" },
  args: { ...connArgs },
  examples: ["agent-chat leave", "agent-chat leave --name alice-bot"],
  async run({ args }) {
    const s = await requireSession(targetFrom(args), { autoJoin: false });
    let note = "";
    try {
      await createClient(sessionConn(s)).leave();
    } catch (err) {
      // The room is gone or no longer knows us: forgetting it here is all that is left to do.
      if (!(err instanceof CliError) || err.exitCode === Exit.RATE_LIMITED) throw err;
      note = ` (the room did not confirm: ${err.message})`;
    }
    removeSession(s);
    await out(args.json ? JSON.stringify({ left: true, url: s.url, name: s.name }) : `left ${s.url} as ${s.name}${note}`);
  },
});
