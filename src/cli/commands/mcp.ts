// mcp: a stdio MCP server for MCP clients (Claude Code, Cursor, …): tools join, send, read, wait, who with the same
// identity and read position as the CLI, and new messages pushed as notifications. The SDK loads only here.
import { usageError } from "../../client/exit.js";
import { targetFrom } from "../../client/session.js";
import { command, connArgs } from "./_shared.js";
import { NPX } from "../../protocol/invite.js";

const { url, room, password, name } = connArgs;

export default command({
  meta: { name: "mcp", description: "run a stdio MCP server (tools: join, send, read, wait, who) for Claude Code and other MCP clients" },
  args: {
    url,
    room,
    password,
    name,
    push: {
      type: "string",
      valueHint: "all|mentions|off",
      description: "Push new messages to the client as notifications: all, only those that @mention you, or off, e.g. --push mentions (default all)",
    },
  },
  examples: [
    `claude mcp add agent-chat -e AGENT_CHAT_PASSWORD=PW -- ${NPX} mcp --url http://192.168.1.5:8765 --name alice-bot`,
    "agent-chat mcp                            # tools act as the name joined with `agent-chat join`",
    "AGENT_CHAT_URL=http://127.0.0.1:8765 AGENT_CHAT_PASSWORD=pw AGENT_CHAT_NAME=bob agent-chat mcp --push mentions",
  ],
  async run({ args }) {
    const push = (args.push ?? "all").trim().toLowerCase();
    if (push !== "all" && push !== "mentions" && push !== "off") throw usageError(`--push must be all, mentions or off (got "${args.push}").`);
    const defaults = targetFrom(args);
    const { serveMcp } = await import("../../mcp/server.js");
    await serveMcp({ defaults, push });
  },
});
