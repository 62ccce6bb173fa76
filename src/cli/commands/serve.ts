// serve: host a room. The flags are read and checked here; src/host/ does the work.
import { usageError } from "../../client/exit.js";
import { command, intFlag } from "./_shared.js";

export default command({
  meta: { name: "serve", description: "host a room: prints its URLs, password, QR code, host link and the instruction block" },
  args: {
    port: { type: "string", valueHint: "port", description: "Port to listen on; 0 picks a free one, e.g. --port 9000 (default 8765)" },
    host: { type: "string", valueHint: "address", description: "Address to bind, e.g. --host 127.0.0.1 for this machine only (default 0.0.0.0: LAN too)" },
    password: { type: "string", valueHint: "password", description: "Room password, e.g. --password 'correct horse' (default: a generated one, printed)" },
    name: { type: "string", valueHint: "title", description: 'Room title, e.g. --name "Release planning" (default agent-chat)' },
    tunnel: { type: "string", valueHint: "cloudflared|ngrok", description: "Also open a public URL, e.g. --tunnel or --tunnel ngrok (bare --tunnel: cloudflared; ngrok needs NGROK_AUTHTOKEN)" },
    cloudflared: { type: "string", valueHint: "path", description: "The cloudflared binary, e.g. --cloudflared ~/bin/cloudflared (default: $AGENT_CHAT_CLOUDFLARED, then PATH, then the copy in ~/.agent-chat/bin)" },
    "install-cloudflared": { type: "boolean", description: "Download cloudflared into ~/.agent-chat/bin if it is missing, even without a terminal (agents, scripts, --detach); --no-install-cloudflared never" },
    history: { type: "string", valueHint: "n", description: "Messages kept in memory, e.g. --history 1000 (default 10000)" },
    "max-text": { type: "string", valueHint: "bytes", description: "Longest message text, e.g. --max-text 8192 (default 32768)" },
    "max-body": { type: "string", valueHint: "bytes", description: "Largest request body, e.g. --max-body 131072 (default 65536)" },
    "rate-limit": { type: "string", valueHint: "n", description: "Messages per sender per minute; 0 turns it off, e.g. --rate-limit 120 (default 60)" },
    "loop-guard": { type: "string", valueHint: "n", description: "Agent messages in a row, with no human one, before agents are paused; 0 off, e.g. --loop-guard 100 (default 50)" },
    "max-connections": { type: "string", valueHint: "n", description: "Open connections before new ones are refused, e.g. --max-connections 2000 (default 10000)" },
    "auth-fail-limit": { type: "string", valueHint: "n", description: "Wrong passwords per address per minute, e.g. --auth-fail-limit 5 (default 10)" },
    "max-rooms": { type: "string", valueHint: "n", description: "Rooms this server may hold, the first one included, e.g. --max-rooms 20 (default 100)" },
    "max-members": { type: "string", valueHint: "n", description: "Participants per room, e.g. --max-members 50 (default 1000)" },
    "history-bytes": { type: "string", valueHint: "bytes", description: "Memory the kept messages may take per room, e.g. --history-bytes 16777216 (default 67108864)" },
    "join-limit": { type: "string", valueHint: "n", description: "Joins per minute per address and per key (10x that per room); 0 off, e.g. --join-limit 120 (default 60)" },
    "ws-frame-limit": { type: "string", valueHint: "n", description: "Frames per second one WebSocket may send (twice that as a burst), e.g. --ws-frame-limit 50 (default 20)" },
    "max-keys": { type: "string", valueHint: "n", description: "Invite keys per room, revoked ones included, e.g. --max-keys 20 (default 200)" },
    redis: { type: "string", valueHint: "url", description: "Keep rooms in Redis, shared by every instance given the same URL, e.g. --redis redis://127.0.0.1:6379 (default: $AGENT_CHAT_REDIS, else in memory)" },
    "public-url": { type: "string", valueHint: "url", description: "The URL people reach this server by (a load balancer in front), named by the invite, e.g. --public-url https://chat.example.org (default: $AGENT_CHAT_PUBLIC_URL, else the tunnel's, LAN or local URL)" },
    "verify-threads": { type: "string", valueHint: "n", description: "Worker threads that check message signatures; 0 checks them on the main thread, e.g. --verify-threads 0 (default: cores - 1)" },
    "require-identity": { type: "boolean", description: "Admit only agents with a key: joins prove one, every message is signed, e.g. --require-identity (README \"Known agents\")" },
    qr: { type: "boolean", description: "Print the QR code (on stderr) even when stderr is not a terminal, e.g. --qr; --no-qr never" },
    json: { type: "boolean", description: "Print one JSON line (URLs, password, host token, invite…) on stdout instead of the banner, e.g. --json" },
    detach: { type: "boolean", description: "Run the room in the background, print its details and exit; stop it with agent-chat stop, e.g. --detach" },
  },
  examples: [
    "agent-chat serve",
    "agent-chat serve --tunnel --name \"Release planning\"",
    "agent-chat serve --detach --json        # for agents: returns at once; agent-chat stop ends it",
    "agent-chat serve --port 0 --host 127.0.0.1 --password pw --rate-limit 0",
  ],
  async run({ args, rawArgs }) {
    const tunnel = args.tunnel === undefined ? undefined : args.tunnel || "cloudflared";
    if (tunnel !== undefined && tunnel !== "cloudflared" && tunnel !== "ngrok") {
      throw usageError(`--tunnel must be cloudflared or ngrok (got "${tunnel}"); bare --tunnel means cloudflared.`);
    }
    const title = args.name?.trim() || "agent-chat";
    if ([...title].length > 80 || /\p{Cc}/u.test(title)) throw usageError("--name (the room title) must be 1-80 characters without control characters.");
    if (args.password !== undefined && !args.password.trim()) throw usageError("--password must not be empty (leave it out to get a generated one).");
    const options = {
      port: intFlag(args.port, "port", 0, 65535) ?? 8765,
      host: args.host?.trim() || "0.0.0.0",
      password: args.password,
      title,
      tunnel: tunnel as "cloudflared" | "ngrok" | undefined,
      cloudflaredPath: args.cloudflared,
      installCloudflared: args["install-cloudflared"] as boolean | undefined,
      history: intFlag(args.history, "history", 1, 10_000_000),
      maxTextBytes: intFlag(args["max-text"], "max-text", 1),
      maxBodyBytes: intFlag(args["max-body"], "max-body", 256),
      rateLimit: intFlag(args["rate-limit"], "rate-limit", 0),
      loopGuard: intFlag(args["loop-guard"], "loop-guard", 0),
      maxConnections: intFlag(args["max-connections"], "max-connections", 1),
      authFailPerMinute: intFlag(args["auth-fail-limit"], "auth-fail-limit", 1),
      maxRooms: intFlag(args["max-rooms"], "max-rooms", 1),
      maxMembers: intFlag(args["max-members"], "max-members", 1),
      historyBytes: intFlag(args["history-bytes"], "history-bytes", 65536),
      joinLimit: intFlag(args["join-limit"], "join-limit", 0),
      wsFramesPerSecond: intFlag(args["ws-frame-limit"], "ws-frame-limit", 1),
      maxKeys: intFlag(args["max-keys"], "max-keys", 0),
      publicUrl: publicUrl(args["public-url"] ?? process.env.AGENT_CHAT_PUBLIC_URL),
      redis: args.redis?.trim() || process.env.AGENT_CHAT_REDIS?.trim() || undefined,
      requireIdentity: args["require-identity"] || undefined,
      verifyThreads: intFlag(args["verify-threads"], "verify-threads", 0, 64),
      qr: args.qr,
      json: !!args.json,
    };
    if (args.detach) {
      const [{ detach }, { printInfo }] = await Promise.all([import("../../host/detach.js"), import("../../host/index.js")]);
      const info = await detach(rawArgs);
      await printInfo(info, options);
      return;
    }
    const { hostRoom } = await import("../../host/index.js");
    await hostRoom(options);
  },
});

/** --public-url: an http(s) URL without a path (the invite appends the room's paths to it). */
function publicUrl(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw usageError(`--public-url must be a URL such as https://chat.example.org (got "${v.slice(0, 60)}").`);
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || (u.pathname !== "/" && u.pathname !== "") || u.search || u.hash) {
    throw usageError(`--public-url must be an http(s) URL without a path, e.g. https://chat.example.org (got "${v.slice(0, 60)}").`);
  }
  return u.origin;
}
