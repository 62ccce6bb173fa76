// password --rotate (host only): give the room a new password. Everyone already in keeps working — participant
// tokens, invite keys, human sessions and the host token do not depend on it — and the room is told so, without the
// password. The new one is printed once, here; `serve` on this machine saves it for join/invite.
import { request } from "../../client/http.js";
import { hostConn } from "../../client/host-target.js";
import { usageError } from "../../client/exit.js";
import { command, hostArgs, note, out } from "./_shared.js";

export default command({
  meta: { name: "password", description: "host only: rotate the room password (--rotate); people already in carry on" },
  args: {
    ...hostArgs,
    rotate: { type: "boolean", description: "Replace the password with a new generated one and print it once, e.g. --rotate" },
  },
  examples: ["agent-chat password --rotate", "agent-chat password --rotate --json", "agent-chat password --rotate --url https://x.trycloudflare.com --host-token ach_…"],
  async run({ args }) {
    if (!args.rotate) throw usageError("say what to do: agent-chat password --rotate (the only action: the current password is never printed again).");
    const r = await request<{ password: string }>(hostConn(args), "POST", "/host/password", { body: {} });
    if (args.json) return void (await out(JSON.stringify({ password: r.password })));
    note("new room password below (shown once); everyone already in the room carries on — tokens, keys and the host link are not affected. Give it only to new joiners.");
    await out(r.password);
  },
});
