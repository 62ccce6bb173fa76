// join: register a name in a room, save it for later commands, print who is here, the recent messages and the exact
// next commands, and exit. --follow stays attached: messages stream in, stdin lines go out (for people).
import { usageError } from "../../client/exit.js";
import { join } from "../../client/converse.js";
import { cleanInline, quoted } from "../../client/clean.js";
import { batchHeader, formatMessage } from "../../client/format.js";
import { cliName, commandFor, sessionConn, targetFrom } from "../../client/session.js";
import { listHosts, listSessions } from "../../client/state.js";
import { parseLink } from "../../client/rooms.js";
import { foldName } from "../../protocol/names.js";
import { command, connArgs, note, out } from "./_shared.js";

export default command({
  meta: { name: "join", description: "join a room under a name, print the recent messages and the next commands" },
  args: {
    ...connArgs,
    link: {
      type: "positional",
      required: false,
      description: "The invite link, e.g. 'https://x.trycloudflare.com/r/k3x9q2m7pa#key=ak_…' (quote it; instead of --url and --key)",
    },
    key: { type: "string", valueHint: "ak_…", description: "Invite key from the host, e.g. --key ak_… (env AGENT_CHAT_KEY; the key is your identity: no password needed)" },
    kind: { type: "string", valueHint: "agent|human", description: "What you are, e.g. --kind human (default: agent; human with --follow in a terminal)" },
    follow: { type: "boolean", description: "Stay attached: print messages as they come, send each line you type, e.g. --follow" },
    share: {
      type: "boolean",
      description: "Act as a name another running agent on this machine joined (same read position), e.g. --share (env AGENT_CHAT_SHARE=1)",
    },
  },
  examples: [
    "agent-chat join --url http://192.168.1.5:8765 --name alice-bot     # password from AGENT_CHAT_PASSWORD",
    "agent-chat join 'http://192.168.1.5:8765/r/k3x9q2m7pa#key=ak_…'    # an invite link with a key (and its name)",
    "agent-chat join --url http://192.168.1.5:8765 --room k3x9q2m7pa --key ak_… --name bob",
    "agent-chat join --name bob --kind human --follow",
    "AGENT_CHAT_URL=http://127.0.0.1:8765 AGENT_CHAT_PASSWORD=pw agent-chat join --name carol-bot --json",
  ],
  async run({ args }) {
    const link = args.link ? parseLink(args.link) : undefined;
    if (link && args.url) throw usageError("give the invite link or --url, not both.");
    const t = targetFrom({ ...args, url: link?.url ?? args.url, key: link?.key ?? args.key, password: link?.password ?? args.password });
    const kindArg = args.kind?.trim().toLowerCase();
    if (kindArg !== undefined && kindArg !== "agent" && kindArg !== "human") throw usageError(`--kind must be "agent" or "human" (got "${args.kind}").`);
    const kind = (kindArg as "agent" | "human" | undefined) ?? (args.follow && process.stdin.isTTY ? "human" : "agent");
    const url = t.url ?? guessUrl(t.name);
    // A key may carry the name: then none is needed.
    const name = t.name ?? (t.key ? undefined : guessName(url));
    const { session, room, recent, online } = await join({ url, password: t.password, key: t.key, name, kind, share: t.share });
    const title = cleanInline(room.title, 80);

    if (args.json) {
      await out(
        [
          JSON.stringify({ joined: true, url: session.url, name: session.name, kind: session.kind, title: room.title, cursor: session.cursor, online: online.map((p) => p.name) }),
          ...recent.map((m) => JSON.stringify(m)),
        ].join("\n"),
      );
    } else {
      const others = online.map((p) => `${cleanInline(p.name, 60)} (${cleanInline(p.kind, 10)})`);
      const lines = [`joined ${quoted(title)} at ${session.url} as ${session.name} (${session.kind}). Online: ${others.length ? others.join(", ") : "nobody else yet"}.`];
      if (room.paused) lines.push(`note: agents are paused (${room.paused === "host" ? "by the host" : "waiting for a human to write"}).`);
      if (recent.length) {
        lines.push(batchHeader(recent.length, { what: recent.length === 1 ? "recent message" : "recent messages" }));
        for (const m of recent) lines.push(formatMessage(m, { me: session.name }));
      }
      if (!args.follow) {
        const next: [string, string][] = [
          [commandFor("wait", session), "waits up to 50 s, prints new messages; an empty answer is normal: loop on it"],
          [commandFor("send", session, '--if-caught-up "your message"'), "if others wrote meanwhile: shows it, sends nothing; @name addresses someone"],
          [commandFor("read", session), "new messages without waiting"],
          [commandFor("leave", session), "when you are done"],
        ];
        const width = Math.max(...next.map(([c]) => c.length));
        lines.push("Next:", ...next.map(([c, why]) => `  ${c.padEnd(width)}  # ${why}`));
      }
      await out(lines.join("\n"));
    }
    if (args.follow) {
      note(`Type a message and press Enter to send it; Ctrl-C (or end of input) quits.`);
      const { live } = await import("../../client/live.js");
      await live({ conn: sessionConn(session), after: session.cursor, me: session.name, json: args.json, sendLines: true });
    }
  },
});

/** No --url: the room this name joined last, else the room served here, else the only room joined here. */
function guessUrl(name: string | undefined): string {
  const sessions = listSessions().sort((a, b) => b.joinedAt.localeCompare(a.joinedAt));
  const mine = name ? sessions.find((s) => foldName(s.name) === foldName(name)) : undefined;
  if (mine) return mine.url;
  const hosts = listHosts();
  if (hosts.length === 1) return hosts[0]!.localUrl;
  const urls = [...new Set(sessions.map((s) => s.url))];
  if (urls.length === 1) return urls[0]!;
  throw usageError(`which room? Pass --url URL --name NAME with the password in AGENT_CHAT_PASSWORD (from the invite), e.g. \`AGENT_CHAT_PASSWORD=PW ${cliName()} join --url http://192.168.1.5:8765 --name alice-bot\`.`);
}

/** No --name: the one name already joined in that room, else a usage error. */
function guessName(url: string): string {
  const names = [...new Set(listSessions().filter((s) => s.url === url).map((s) => s.name))];
  if (names.length === 1) return names[0]!;
  throw usageError(
    names.length
      ? `several names are joined in ${url} (${names.join(", ")}): pass --name.`
      : `pass the name you want in the room, e.g. --name alice-bot (letters, digits, - and _; up to 40 characters).`,
  );
}
