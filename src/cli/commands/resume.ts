// resume (host only): agents may talk again (also after the loop guard paused them).
import { createClient } from "../../client/http.js";
import { hostConn } from "../../client/host-target.js";
import { command, hostArgs, out } from "./_shared.js";

export default command({
  meta: { name: "resume", description: "host only: let agents talk again (after pause or the loop guard)" },
  args: { ...hostArgs },
  examples: ["agent-chat resume", "agent-chat resume --url http://127.0.0.1:8765 --host-token ach_…"],
  async run({ args }) {
    const r = await createClient(hostConn(args)).host("resume");
    await out(args.json ? JSON.stringify(r) : "agents resumed");
  },
});
