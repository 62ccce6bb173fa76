// The command tree. Each command lives in its own file and is imported only when it runs, so `send` and `wait`
// never load the server, the QR code or the tunnel. citty parses the flags; this file adds what agents need from a
// CLI: unknown flags refused, one-line errors with exit codes (exit.ts), --help with examples and no colours in pipes.
import { runCommand, type ArgsDef } from "citty";
import type { Command } from "./commands/_shared.js";
import { CliError, Exit } from "../client/exit.js";
import { renderHelp } from "./help.js";

const load = (name: string) => () => import(`./commands/${name}.js`).then((r) => r.default as Command);

export const commands = {
  serve: load("serve"),
  stop: load("stop"),
  join: load("join"),
  send: load("send"),
  read: load("read"),
  wait: load("wait"),
  listen: load("listen"),
  who: load("who"),
  invite: load("invite"),
  leave: load("leave"),
  kick: load("kick"),
  password: load("password"),
  pause: load("pause"),
  resume: load("resume"),
  title: load("title"),
  rooms: load("rooms"),
  keys: load("keys"),
  mcp: load("mcp"),
  notify: load("notify"),
  status: load("status"),
  id: load("id"),
  verify: load("verify"),
} as const;

const DESCRIPTION = "ephemeral, password-protected chat rooms for AI agents and the humans behind them";

const MAIN_EXAMPLES = [
  "agent-chat serve --tunnel                 # host a room; prints URLs, password, QR code and the invite",
  "AGENT_CHAT_PASSWORD=PW agent-chat join --url URL --name alice-bot",
  'agent-chat send --name alice-bot "hello @bob"   # also shows what arrived unread',
  "agent-chat wait --name alice-bot          # up to 50 s for new messages; an empty answer is normal",
  "agent-chat leave --name alice-bot         # when you are done",
];

export async function main(rawArgs = process.argv.slice(2)): Promise<void> {
  let code: number = Exit.OK;
  let sub = "";
  try {
    const [first, ...rest] = rawArgs;
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      const list: [string, string][] = [];
      for (const [name, load] of Object.entries(commands)) list.push([name, describe(await load())]);
      await writeOut(`${renderHelp({ usage: "agent-chat", description: DESCRIPTION, commands: list, examples: MAIN_EXAMPLES })}\n`);
    } else if (first === "--version" || first === "-v") {
      const { createRequire } = await import("node:module");
      await writeOut(`${(createRequire(import.meta.url)("../../package.json") as { version: string }).version}\n`);
    } else if (!(first in commands)) {
      throw new CliError(Exit.USAGE, `unknown command "${first}": run \`agent-chat --help\` for the list (${Object.keys(commands).join(", ")}).`);
    } else {
      sub = first;
      const cmd = await commands[first as keyof typeof commands]();
      const args = fixOptionalValues(sub, rest);
      const end = args.indexOf("--");
      const flags = end === -1 ? args : args.slice(0, end);
      const defs = (await resolve(cmd.args)) ?? {};
      if (flags.includes("--help") || flags.includes("-h")) {
        await writeOut(`${renderHelp({ usage: `agent-chat ${sub}`, description: describe(cmd), args: defs, examples: cmd.examples })}\n`);
      } else {
        checkFlags(sub, args, defs);
        await runCommand(cmd, { rawArgs: args });
      }
    }
  } catch (err) {
    code = report(err, sub);
  }
  await new Promise<void>((r) => process.stdout.write("", () => r()));
  process.exit(process.exitCode && code === 0 ? Number(process.exitCode) : code);
}

// --- internal ---

const describe = (cmd: Command) => String((cmd.meta as { description?: string } | undefined)?.description ?? "");

/** One line on stderr for any failure, and its exit code (README "Exit codes"). Exported for its unit test. */
export function report(err: unknown, sub: string): number {
  const prefix = sub ? `agent-chat ${sub}: ` : "agent-chat: ";
  if (err instanceof CliError) {
    process.stderr.write(`${prefix}${err.message}\n`);
    return err.exitCode;
  }
  if ((err as Error)?.name === "CLIError") {
    // citty's own parse errors (a missing positional, a bad enum value).
    process.stderr.write(`${prefix}${stripAnsi((err as Error).message)} Run \`agent-chat ${sub} --help\`.\n`);
    return Exit.USAGE;
  }
  // A bug: one line for the reader, the details only on request, and its own exit code (never mistaken for bad input).
  process.stderr.write(`${prefix}unexpected error (a bug in agent-chat): ${(err as Error)?.message ?? err} (set AGENT_CHAT_DEBUG=1 for details)\n`);
  if (process.env.AGENT_CHAT_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
  return Exit.INTERNAL;
}

async function resolve<T>(v: T | (() => T | Promise<T>) | Promise<T> | undefined): Promise<T | undefined> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

/** `--tunnel` takes an optional value: bare `--tunnel` (or one followed by another flag) means cloudflared. */
function fixOptionalValues(sub: string, args: string[]): string[] {
  if (sub !== "serve") return args;
  return args.map((a, i) => (a === "--tunnel" && (i + 1 >= args.length || args[i + 1]!.startsWith("-")) ? "--tunnel=cloudflared" : a));
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** citty accepts any flag silently; agents make typos, and a typo must not be ignored. */
function checkFlags(sub: string, args: string[], defs: ArgsDef): void {
  const known = new Map<string, string>(); // spelling → type
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const alias = (def as { alias?: string | string[] }).alias;
    const aliases = Array.isArray(alias) ? alias : alias ? [alias] : [];
    for (const n of [name, camel(name), kebab(name), ...aliases]) {
      known.set(n, def.type ?? "boolean");
      if (def.type === "boolean" || def.type === undefined) known.set(`no-${n}`, "boolean");
    }
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    if (!a.startsWith("-") || a === "-" || /^-\d/.test(a)) continue;
    const [flag] = a.replace(/^--?/, "").split("=", 1) as [string];
    const type = known.get(flag);
    if (!type) {
      throw new CliError(Exit.USAGE, `unknown flag ${a.split("=")[0]}: run \`agent-chat ${sub} --help\` for the flags.`);
    }
    if (type !== "boolean" && !a.includes("=")) {
      const value = args[i + 1];
      if (value === undefined) throw new CliError(Exit.USAGE, `${a} needs a value: run \`agent-chat ${sub} --help\`.`);
      i++; // the value, even if it starts with "-"
    }
  }
}

const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

function writeOut(s: string) {
  return new Promise<void>((r) => process.stdout.write(s, () => r()));
}
