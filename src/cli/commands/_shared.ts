// Flags and helpers every command shares. Connection flags are defined once here and spread into each command.
import type { ArgsDef, CommandDef } from "citty";
import { usageError } from "../../client/exit.js";
import { jsonLineSafe } from "../../client/clean.js";

export const connArgs = {
  url: {
    type: "string",
    valueHint: "url",
    description: "Room URL from the invite, e.g. --url http://192.168.1.5:8765 (env AGENT_CHAT_URL; default: the room you joined)",
  },
  room: {
    type: "string",
    valueHint: "id",
    description: "Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)",
  },
  password: {
    type: "string",
    valueHint: "password",
    description: "Room password, e.g. --password abcd-efgh-jkmn-pqrs (env AGENT_CHAT_PASSWORD; saved by join)",
  },
  name: {
    type: "string",
    alias: ["agent-name"],
    valueHint: "name",
    description: "Your name in the room, e.g. --name alice-bot (env AGENT_CHAT_NAME); join saves it: give it on every command so each acts as you",
  },
  json: { type: "boolean", description: "One JSON object per line on stdout, e.g. --json" },
} as const satisfies ArgsDef;

export const hostArgs = {
  url: {
    type: "string",
    valueHint: "url",
    description: "Room URL, e.g. --url http://127.0.0.1:8765 (env AGENT_CHAT_URL; default: the room served from this machine)",
  },
  room: {
    type: "string",
    valueHint: "id",
    description: "Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)",
  },
  "host-token": {
    type: "string",
    valueHint: "token",
    description: "Host token printed by serve, e.g. --host-token ach_… (env AGENT_CHAT_HOST_TOKEN; saved by serve on this machine)",
  },
  json: { type: "boolean", description: "One JSON object on stdout, e.g. --json" },
} as const satisfies ArgsDef;

/** A citty command plus the examples its --help ends with. */
export type Command = CommandDef<any> & { examples: string[] };

export function command<const T extends ArgsDef>(def: CommandDef<T> & { examples: string[] }): Command {
  return def as Command;
}

/** Write to stdout and resolve once it is flushed (a pipe may be slower than process.exit). */
export function out(text: string): Promise<void> {
  if (!text) return Promise.resolve();
  // Human text has no such characters left (clean.ts); in --json output they can only sit inside strings.
  const safe = jsonLineSafe(text);
  return new Promise((resolve) => process.stdout.write(safe.endsWith("\n") ? safe : `${safe}\n`, () => resolve()));
}

/** One line for humans on stderr. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A whole number within bounds, or a usage error that names the flag. */
export function intFlag(value: unknown, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined || value === "") return undefined;
  const s = String(value);
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < min || n > max) {
    throw usageError(`--${flag} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`} (got "${s}").`);
  }
  return n;
}
