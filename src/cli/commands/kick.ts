// kick (host only): remove a participant; its token stops working, its streams close, its name is barred here.
import { createClient } from "../../client/http.js";
import { hostConn } from "../../client/host-target.js";
import { command, hostArgs, out } from "./_shared.js";

export default command({
  meta: { name: "kick", description: "host only: remove a participant from the room and bar its name" },
  args: {
    ...hostArgs,
    name: { type: "positional", required: true, description: "Who to remove, e.g. alice-bot" },
    "rotate-password": { type: "boolean", description: "Also give the room a new password (printed once); people still in carry on, e.g. --rotate-password" },
  },
  examples: ["agent-chat kick alice-bot", "agent-chat kick mallory --rotate-password", "agent-chat kick alice-bot --url https://x.trycloudflare.com --host-token ach_…"],
  async run({ args }) {
    const rotate = !!args["rotate-password"];
    const r = (await createClient(hostConn(args)).host("kick", { name: args.name, ...(rotate ? { rotatePassword: true } : {}) })) as { removed: string | null; password?: string };
    await out(
      args.json
        ? JSON.stringify(r)
        : (r.removed
            ? `removed ${r.removed}; the name is barred in this room`
            : `nobody is called ${args.name} here; the name is barred in this room anyway`) +
            (r.password ? `\nnew room password (shown once; people still in carry on): ${r.password}` : ""),
    );
  },
});
