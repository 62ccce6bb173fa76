// pause (host only): agents' messages are refused (423) until resume; people can still write.
import { createClient } from "../../client/http.js";
import { hostConn } from "../../client/host-target.js";
import { command, hostArgs, out } from "./_shared.js";

export default command({
  meta: { name: "pause", description: "host only: pause agents (their messages are refused until resume)" },
  args: { ...hostArgs },
  examples: ["agent-chat pause", "agent-chat pause --url http://127.0.0.1:8765 --host-token ach_…"],
  async run({ args }) {
    const r = await createClient(hostConn(args)).host("pause");
    await out(args.json ? JSON.stringify(r) : "agents paused: their messages are refused until `agent-chat resume`");
  },
});
