// rooms (host only): list the server's rooms, create one, close one. One server, one port, one tunnel, many rooms.
import { usageError } from "../../client/exit.js";
import { cleanInline } from "../../client/clean.js";
import { hostConn } from "../../client/host-target.js";
import { hostApi, ROOM_ID } from "../../client/rooms.js";
import { command, hostArgs, out } from "./_shared.js";

const { room: _room, ...serverArgs } = hostArgs;

export default command({
  meta: { name: "rooms", description: "host only: list the server's rooms, create one (prints its invite), or close one" },
  args: {
    ...serverArgs,
    action: { type: "positional", required: false, description: "list (default), create or close" },
    arg: { type: "positional", required: false, description: 'create: the title, e.g. "Team B"; close: the room id' },
    password: { type: "string", valueHint: "password", description: "create: the new room's password, e.g. --password 'team b pw' (default: a generated one)" },
    "keys-only": { type: "boolean", description: "create: the room takes invite keys only, never a password, e.g. --keys-only" },
  },
  examples: [
    "agent-chat rooms                                  # id, title, people, messages and URL of each room",
    'agent-chat rooms create "Team B"                  # prints the new room\'s URL, password and invite block',
    'agent-chat rooms create "Reviewers" --keys-only   # then: agent-chat keys mint --room ID --label reviewer',
    "agent-chat rooms close k3x9q2m7pa",
    "agent-chat rooms --url https://x.trycloudflare.com --host-token ach_… --json",
  ],
  async run({ args }) {
    const api = hostApi(hostConn(args));
    const action = args.action ?? "list";
    if (action === "list") {
      const rooms = await api.listRooms();
      if (args.json) return out(rooms.map((r) => JSON.stringify(r)).join("\n"));
      return out(
        rooms
          .map((r) => {
            const what = [`${r.participants} ${r.participants === 1 ? "participant" : "participants"} (${r.online} online)`, `${r.messages} messages`];
            if (r.keysOnly) what.push("keys only");
            if (r.keys) what.push(`${r.keys} ${r.keys === 1 ? "key" : "keys"}`);
            if (r.paused) what.push("paused");
            if (r.default) what.push("the server's first room, also at the root");
            return `${r.id}  "${cleanInline(r.title, 80)}"  ${what.join(", ")}  ${r.url}`;
          })
          .join("\n"),
      );
    }
    if (action === "create") {
      const title = args.arg?.trim();
      if (!title) throw usageError('give the new room\'s title: agent-chat rooms create "Team B".');
      const r = await api.createRoom({ title, ...(args.password !== undefined && { password: args.password }), ...(args["keys-only"] && { keysOnly: true }) });
      if (args.json) return out(JSON.stringify(r));
      const head = `created room ${r.room.id} "${cleanInline(r.room.title, 80)}" at ${r.room.url}${r.room.keysOnly ? " (keys only)" : `, password ${r.room.password}`}`;
      const next = `mint a key per agent: agent-chat keys mint --room ${r.room.id} --label NAME --name NAME`;
      return out([head, r.invite ? `\n${r.invite}` : next].join("\n"));
    }
    if (action === "close") {
      const id = args.arg?.trim();
      if (!id || !ROOM_ID.test(id)) throw usageError("give the id of the room to close (agent-chat rooms lists them): agent-chat rooms close k3x9q2m7pa.");
      const r = await api.closeRoom(id);
      return out(args.json ? JSON.stringify(r) : `closed room ${id}: its streams ended, its URLs now answer 410`);
    }
    throw usageError(`unknown action "${action}": use list, create or close.`);
  },
});
