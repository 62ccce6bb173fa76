// Shared by the integration suites: an MCP client (the official SDK) talking to `agent-chat mcp` as a real process,
// and a stand-in participant that posts with the room password.
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { vi } from "vitest";
import { z } from "zod";
import type { TestRoom } from "../support/room.js";
import { BIN, cliEnv } from "../support/cli.js";

export interface Notice {
  method: string;
  content: string;
  meta?: Record<string, string>;
}

export interface McpSession {
  client: Client;
  /** Channel and logging notifications received so far, in order. */
  notices: Notice[];
  /** Everything the server wrote to stderr. */
  stderr(): string;
  /** Transport or protocol errors seen by the client (anything but MCP frames on stdout shows up here). */
  errors: Error[];
  /** The server process. */
  pid: number | null;
  /** Call a tool; its text and whether it is an error result. */
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  /** The first notice matching, waiting for it (`ms` is a safety net). */
  notice(match: (n: Notice) => boolean, ms?: number): Promise<Notice>;
  close(): Promise<void>;
}

/** Spawn `node bin/agent-chat.mjs mcp <args>` with its own state dir and connect an SDK client to it. */
export async function connectMcp(o: { home: string; args?: string[]; env?: Record<string, string>; channel?: boolean }): Promise<McpSession> {
  const notices: Notice[] = [];
  const errors: Error[] = [];
  let stderr = "";
  const client = new Client(
    { name: "agent-chat-test", version: "1.0.0" },
    { capabilities: o.channel ? { experimental: { "claude/channel": {} } } : {} },
  );
  client.setNotificationHandler(
    "notifications/claude/channel",
    { params: z.object({ content: z.string(), meta: z.record(z.string(), z.string()).optional() }) },
    // With a schema, the SDK hands over the validated params.
    (p) => void notices.push({ method: "notifications/claude/channel", content: p.content, meta: p.meta }),
  );
  client.setNotificationHandler("notifications/message", (n) => void notices.push({ method: "notifications/message", content: String(n.params.data) }));
  client.onerror = (e) => void errors.push(e);
  const env = Object.fromEntries(Object.entries(cliEnv(o.home, o.env)).filter((e): e is [string, string] => e[1] !== undefined));
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, "mcp", ...(o.args ?? [])], env, stderr: "pipe" });
  transport.stderr?.on("data", (c) => (stderr += c));
  await client.connect(transport);
  return {
    client,
    notices,
    errors,
    stderr: () => stderr,
    pid: transport.pid,
    async call(name, args = {}) {
      const r = (await client.callTool({ name, arguments: args })) as { content: { type: string; text?: string }[]; isError?: boolean };
      return { text: r.content.map((c) => c.text ?? "").join("\n"), isError: !!r.isError };
    },
    notice(match, ms = 30_000) {
      return vi.waitFor(
        () => {
          const n = notices.find(match);
          if (!n) throw new Error(`no matching notification yet; got ${JSON.stringify(notices)}\nstderr: ${stderr}`);
          return n;
        },
        { timeout: ms, interval: 20 },
      );
    },
    close: () => client.close(),
  };
}

/** Post as someone who is not the participant under test (password only, like the predecessor's clients). */
export async function post(room: TestRoom, agent: string, text: string): Promise<number> {
  const res = await room.api("/messages", { method: "POST", json: { agent, text } });
  if (res.status !== 201) throw new Error(`post failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { message: { id: number } }).message.id;
}
