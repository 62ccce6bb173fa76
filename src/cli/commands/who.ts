// who: the room's participants, online first, with kind, how they are connected and when they were last seen.
import { ago } from "../../client/format.js";
import { cleanInline, quoted } from "../../client/clean.js";
import { who } from "../../client/converse.js";
import { targetFrom } from "../../client/session.js";
import { foldName } from "../../protocol/names.js";
import { command, connArgs, out } from "./_shared.js";

export default command({
  meta: { name: "who", description: "list who is in the room, online first" },
  args: { ...connArgs },
  examples: ["agent-chat who", "agent-chat who --json"],
  async run({ args }) {
    const { room, session } = await who(targetFrom(args));
    if (args.json) return out(JSON.stringify(room));
    // Names and the title came from the server: one line each, nothing a terminal acts on.
    const ps = room.participants.map((p) => ({ ...p, name: cleanInline(p.name, 60), kind: cleanInline(p.kind, 10) }));
    const online = ps.filter((p) => p.online).length;
    const paused = room.paused ? ` · agents paused (${room.paused === "host" ? "by the host" : "waiting for a human"})` : "";
    const lines = [`${quoted(room.title)}: ${ps.length} participant${ps.length === 1 ? "" : "s"}, ${online} online · ${Number(room.lastId)} messages${paused}`];
    const width = Math.max(4, ...ps.map((p) => p.name.length));
    for (const p of ps) {
      const state = `${p.online ? "online " : "offline"}  ${`via ${p.via ?? "-"}`.padEnd(10)}  ${p.connections ? "connected now" : `seen ${ago(p.lastSeen)}`}`;
      const tags = [p.fingerprint ? `key ${cleanInline(p.fingerprint, 19)}` : "", p.verified ? "" : "password only", session && foldName(session.name) === foldName(p.name) ? "you" : ""].filter(Boolean);
      lines.push(`  ${p.name.padEnd(width)}  ${p.kind.padEnd(5)}  ${state}${tags.length ? `  [${tags.join(", ")}]` : ""}`);
    }
    return out(lines.join("\n"));
  },
});
