// What the CLI remembers between commands, under $AGENT_CHAT_HOME or ~/.agent-chat/ (owner-only: it holds secrets).
//
//   sessions/<hash>.json   one per (server, room, name): password or invite key, participant token, read cursor. The
//                          room URL is the server's plus /r/<id> for a room other than the server's first, so one
//                          agent can sit in two rooms of one server (client/rooms.ts)
//   hosts/<port>.json      one per room `serve` runs on this machine: host token, URLs, pid (for stop/kick/…)
//   logs/serve-*.log       output of `serve --detach`
//
// One file per identity, so two agents with different names on one machine never write the same file: a cursor
// can be neither mixed up nor lost to a concurrent read-modify-write. Every write is atomic (temp file + rename).
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { foldName } from "../protocol/names.js";

export interface Session {
  /** Room URL without a trailing slash, as given to join: the server's, plus /r/<id> for a room other than its first. */
  url: string;
  /** The name as the room registered it. */
  name: string;
  kind: "agent" | "human";
  password?: string;
  /** The invite key joined with (re-joins use it when the token is no longer known). */
  key?: string;
  token: string;
  /** Id of the last message read (or skipped) by read/wait. */
  cursor: number;
  title?: string;
  /** The room's start time when joined: a different one at the same URL means a new room. */
  startedAt?: string;
  joinedAt: string;
  /** The agent process that joined (client/owner.ts): another live one must not share this identity unasked. */
  owner?: { pid: number; start?: string };
  /** The room's id and the key this name proved there (README "Known agents"); absent for a join without a key. */
  roomId?: string;
  publicKey?: string;
  fingerprint?: string;
}

export interface HostRecord {
  pid: number;
  port: number;
  /** http://127.0.0.1:PORT */
  localUrl: string;
  /** Every URL the room is reachable at (local, LAN, public). */
  urls: string[];
  inviteUrl: string;
  password: string;
  hostToken: string;
  title: string;
  detached: boolean;
  logFile?: string;
  startedAt: string;
}

export const stateHome = () => process.env.AGENT_CHAT_HOME || join(homedir(), ".agent-chat");

// --- sessions ---

function sessionFile(url: string, name: string): string {
  const id = createHash("sha256").update(`${url}\n${foldName(name)}`).digest("hex").slice(0, 24);
  return join(stateHome(), "sessions", `${id}.json`);
}

export function listSessions(): Session[] {
  return readAll<Session>(join(stateHome(), "sessions")).filter((s) => typeof s.url === "string" && typeof s.name === "string");
}

export function saveSession(s: Session): void {
  writeAtomic(sessionFile(s.url, s.name), s);
}

/** Move the cursor of one identity, keeping whatever else a concurrent `join` may have written meanwhile. */
export function saveCursor(s: Session, cursor: number): void {
  const file = sessionFile(s.url, s.name);
  const current = readJson<Session>(file);
  // Re-joined elsewhere meanwhile (another token): that join owns the file now.
  if (current && current.token !== s.token) return;
  writeAtomic(file, { ...(current ?? s), cursor });
  s.cursor = cursor;
}

export function removeSession(s: Pick<Session, "url" | "name">): void {
  rmSync(sessionFile(s.url, s.name), { force: true });
}

// --- hosts ---

const hostFile = (port: number) => join(stateHome(), "hosts", `${port}.json`);

export function saveHost(h: HostRecord): void {
  writeAtomic(hostFile(h.port), h);
}

export function removeHost(port: number, pid = process.pid): void {
  // Only the record this process wrote: a newer room may have taken the port since.
  const h = readJson<HostRecord>(hostFile(port));
  if (h && h.pid === pid) rmSync(hostFile(port), { force: true });
}

/** Rooms served from this machine whose process is still alive; records of dead ones are deleted. */
export function listHosts(): HostRecord[] {
  const out: HostRecord[] = [];
  for (const h of readAll<HostRecord>(join(stateHome(), "hosts"))) {
    if (typeof h.pid === "number" && alive(h.pid)) out.push(h);
    else if (typeof h.port === "number") rmSync(hostFile(h.port), { force: true });
  }
  return out.sort((a, b) => a.port - b.port);
}

export function logsDir(): string {
  const dir = join(stateHome(), "logs");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Whether a process runs. A zombie (exited, not yet reaped by an init that may never reap it) does not. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (macOS): kill(0) is all we know
  }
}

// --- internal ---

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined; // missing, or written by something else: treated as absent
  }
}

function readAll<T>(dir: string): T[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const n of names) {
    if (!n.endsWith(".json")) continue;
    const v = readJson<T>(join(dir, n));
    if (v && typeof v === "object") out.push(v);
  }
  return out;
}

function writeAtomic(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, file);
}
