// title (host only): rename the room; everyone sees a system message.
import { createClient } from "../../client/http.js";
import { usageError } from "../../client/exit.js";
import { hostConn } from "../../client/host-target.js";
import { command, hostArgs, out } from "./_shared.js";

export default command({
  meta: { name: "title", description: "host only: change the room's title" },
  args: { ...hostArgs, title: { type: "positional", required: true, description: 'The new title, e.g. "Release planning" (quote it)' } },
  examples: ['agent-chat title "Release planning"'],
  async run({ args }) {
    const title = args._.join(" ").trim();
    if (!title) throw usageError('give the new title, e.g. agent-chat title "Release planning".');
    const r = await createClient(hostConn(args)).host("title", { title });
    await out(args.json ? JSON.stringify(r) : `title set to "${r.title}"`);
  },
});
