// Which room and which name a command acts for. Flags and environment first, then what `join` saved, then the room
// this machine serves. Two names joined on one machine are never guessed between: the command refuses and names
// the choices, so one agent can never read another's cursor or speak under its name.
import { NPX } from "../protocol/invite.js";
import { createClient, normalizeUrl, type Client, type Conn, type JoinAnswer, type RoomInfo } from "./http.js";
import { CliError, Exit, isReason, usageError } from "./exit.js";
import { currentOwner, ownerAlive, sameOwner } from "./owner.js";
import { foldName } from "../protocol/names.js";
import { listHosts, listSessions, saveSession, type HostRecord, type Session } from "./state.js";
import { roomUrl, serverOf } from "./rooms.js";
import { ensureIdentity, loadIdentity } from "./identity.js";
import { identityWanted, messageSigner, proveKey } from "./signer.js";

export interface Target {
  /** The room's URL: the server's, plus /r/<id> (from --room or the URL itself) for a room other than its first. */
  url?: string;
  password?: string;
  /** An invite key (ak_…), from --key or an invite link. */
  key?: string;
  name?: string;
  /** Act as a name another live agent process on this machine joined (same token, same read position). */
  share?: boolean;
}

/** Flags win over AGENT_CHAT_URL / AGENT_CHAT_ROOM / AGENT_CHAT_PASSWORD / AGENT_CHAT_KEY / AGENT_CHAT_NAME. */
export function targetFrom(args: { url?: string; room?: string; password?: string; key?: string; name?: string; share?: boolean }): Target {
  const env = process.env;
  const rawUrl = args.url || env.AGENT_CHAT_URL || undefined;
  const room = (args.room || env.AGENT_CHAT_ROOM || "").trim() || undefined;
  const name = (args.name || env.AGENT_CHAT_NAME || "").trim() || undefined;
  const share = !!args.share || /^(1|true|yes)$/i.test(env.AGENT_CHAT_SHARE ?? "");
  const key = (args.key || env.AGENT_CHAT_KEY || "").trim() || undefined;
  // --room without --url: the room on the one server this machine knows (serves, or joined rooms of).
  const server = rawUrl ? normalizeUrl(rawUrl) : room ? soleServer() : undefined;
  const url = server === undefined ? undefined : roomUrl(server, room);
  return { url, password: args.password || env.AGENT_CHAT_PASSWORD || undefined, name, ...(key ? { key } : {}), ...(share ? { share } : {}) };
}

/** How to call this CLI in printed next steps: as it was called (npx or installed). */
// Through npx, the hints repeat the invite's pinned form (`npx -y agent-chat@X.Y.Z`): a bare name could fetch another
// version, or fail offline, the moment an agent copies a "Next:" line.
export const cliName = () => (process.env.npm_command === "exec" ? NPX : "agent-chat");

/** The saved identity this command acts as; joins first when flags give url, password and name but none is saved. */
export async function requireSession(t: Target, o: { autoJoin?: boolean } = {}): Promise<Session> {
  const found = pickSession(t);
  if (found) return (checkOwner(found, t.share), found);
  const url = t.url ?? soleHost()?.localUrl;
  const password = t.password ?? (url ? knownPassword(url) : undefined);
  if (o.autoJoin !== false && url && t.key) return (await joinRoom({ url, key: t.key, name: t.name, kind: "agent" })).session;
  if (o.autoJoin !== false && url && password !== undefined && t.name) return (await joinRoom({ url, password, name: t.name, kind: "agent" })).session;
  const cli = cliName();
  if (t.name || t.url) {
    throw usageError(
      `not joined${t.name ? ` as ${t.name}` : ""}${t.url ? ` in ${t.url}` : ""} on this machine: run \`AGENT_CHAT_PASSWORD=PASSWORD ${cli} join --url URL --name NAME\` first (from the invite).`,
      "NOT_JOINED",
    );
  }
  throw usageError(`not in any room yet: run \`AGENT_CHAT_PASSWORD=PASSWORD ${cli} join --url URL --name NAME\` first (from the invite).`, "NOT_JOINED");
}

/** Room-level access (who, invite, listen): a saved identity when one fits, else url + password. */
export function roomConn(t: Target): { conn: Conn; session?: Session } {
  let s: Session | undefined;
  let ambiguous = false;
  try {
    s = pickSession(t);
  } catch {
    ambiguous = true; // several names joined: any of them may look at the room, none is "you"
  }
  if (s && (t.name || !t.password)) return { conn: { url: s.url, token: s.token, password: s.password }, session: s };
  const joinedUrls = ambiguous && !t.url ? [...new Set(listSessions().map((x) => x.url))] : [];
  const host = t.url || joinedUrls.length ? undefined : soleHost();
  const url = t.url ?? (joinedUrls.length === 1 ? joinedUrls[0] : undefined) ?? host?.localUrl;
  if (!url) throw usageError(`which room? Pass --url URL with AGENT_CHAT_PASSWORD=PASSWORD set (from the invite), or join first with \`${cliName()} join\`.`, "NOT_JOINED");
  const password = t.password ?? host?.password ?? knownPassword(url);
  if (password === undefined) throw usageError(`no password for ${url}: set AGENT_CHAT_PASSWORD (from the invite).`);
  return { conn: { url, password } };
}

export function sessionConn(s: Session): Conn {
  const conn: Conn = { url: s.url, token: s.token, password: s.password };
  // Joined with an agent key: sign with it. If its file is gone, send unsigned and let the room say why it refuses.
  const identity = s.publicKey && s.roomId ? loadIdentity(s.name) : undefined;
  if (identity && identity.key === s.publicKey) conn.signer = messageSigner(conn, s.roomId!, s.name, identity);
  return conn;
}

/**
 * Run `fn` as the saved identity. When the room no longer knows the token (it restarted with the same password, or
 * the name's hold lapsed), join again with the saved password once, keep the cursor if it is the same room, and retry.
 */
export async function withSession<T>(t: Target, fn: (s: Session, c: Client) => Promise<T>): Promise<T> {
  const s = await requireSession(t);
  try {
    return await fn(s, createClient(sessionConn(s)));
  } catch (err) {
    if (!isReason(err, "TOKEN_REJECTED") || (s.password === undefined && s.key === undefined)) throw err;
    const { session } = await joinRoom({ url: s.url, password: s.password, key: s.key, name: s.name, kind: s.kind, token: null, share: true });
    const sameRoom = !!s.startedAt && s.startedAt === session.startedAt;
    // Same room: nothing was read since the old cursor. A new room at this URL: all of it is new.
    session.cursor = sameRoom ? s.cursor : 0;
    saveSession(session);
    process.stderr.write(`note: joined ${s.url} again as ${session.name} (the room no longer knew your token${sameRoom ? "" : "; it is a new room"}).\n`);
    return fn(session, createClient(sessionConn(session)));
  }
}

type JoinOptions = Parameters<typeof joinOnce>[0];
const joining = new Map<string, ReturnType<typeof joinOnce>>();

/**
 * POST /join and save the identity. A saved token for this url+name is sent along, so the same participant returns.
 * Joins of one name in one process run one at a time: the second sends the token the first saved (an MCP server
 * joins at start while the client may already call the join tool).
 */
export function joinRoom(o: JoinOptions): ReturnType<typeof joinOnce> {
  const key = `${o.url}\n${o.name === undefined ? o.key : foldName(o.name)}`;
  const run = (joining.get(key) ?? Promise.resolve()).catch(() => {}).then(() => joinOnce(o));
  joining.set(key, run);
  void run.finally(() => joining.get(key) === run && joining.delete(key)).catch(() => {});
  return run;
}

async function joinOnce(o: {
  url: string;
  password?: string;
  /** Join with this invite key instead of a password (its name, when it carries one, wins over `name`). */
  key?: string;
  /** May be left out with a key that carries a name. */
  name?: string;
  kind: "agent" | "human";
  /** null: do not send the saved token. */
  token?: null;
  /** Join a name another live agent process on this machine holds, sharing its session. */
  share?: boolean;
  /** false: join without a key proof. @default identityWanted() (README "Known agents") */
  identity?: boolean;
}): Promise<{ session: Session; answer: JoinAnswer; room: RoomInfo }> {
  const saved = listSessions().find((s) => s.url === o.url && (o.name === undefined ? o.key !== undefined && s.key === o.key : foldName(s.name) === foldName(o.name)));
  if (saved) checkOwner(saved, o.share);
  const key = o.key ?? (o.password === undefined ? saved?.key : undefined);
  // A key holder never needs (nor is given) the room password.
  const password = key ? undefined : (o.password ?? saved?.password ?? knownPassword(o.url));
  if (password === undefined && !key && !saved) throw usageError(`no password for ${o.url}: set AGENT_CHAT_PASSWORD (from the invite), or join with the invite link.`);
  if (o.name === undefined && !key) throw usageError(`pass the name you want in the room, e.g. --name alice-bot.`);
  const conn: Conn = { url: o.url, password, key, token: o.token === null ? undefined : saved?.token };
  let answer: JoinAnswer;
  let room: RoomInfo;
  let proven: Awaited<ReturnType<typeof proveKey>>;
  try {
    // This machine's key for the name (made on first use) proves who joins: README "Known agents".
    // (A join with an invite key and no --name proves nothing: the name to sign for is the key's, not known here.)
    if (o.name !== undefined && (o.identity ?? identityWanted())) proven = await proveKey(conn, o.name, ensureIdentity(o.name).identity);
    answer = await createClient(conn).join(o.name, o.kind, proven ? { identity: proven.proof } : {});
    room = await createClient({ url: o.url, token: answer.token }).room();
  } catch (err) {
    // A token from an earlier room at this URL, and no password to fall back on.
    if (isReason(err, "TOKEN_REJECTED") && saved && password === undefined) {
      throw new CliError(Exit.REJECTED, `${o.url} no longer accepts your saved token (the room restarted?): join again with AGENT_CHAT_PASSWORD from the new invite.`);
    }
    throw err;
  }
  const session: Session = {
    url: o.url,
    name: answer.participant.name,
    kind: answer.participant.kind,
    password,
    ...(key && { key }),
    token: answer.token,
    cursor: answer.next,
    title: room.title,
    startedAt: room.startedAt,
    joinedAt: new Date().toISOString(),
    // The agent that joined owns the name here; a sharer leaves the owner as it was.
    owner: o.share && saved?.owner && ownerAlive(saved.owner) ? saved.owner : currentOwner(),
  };
  if (proven && answer.participant.fingerprint) Object.assign(session, { roomId: proven.roomId, publicKey: proven.proof.key, fingerprint: answer.participant.fingerprint });
  saveSession(session);
  return { session, answer, room };
}

/**
 * `agent-chat wait --name bob`: every command this CLI prints carries the name, the one way the invite teaches, so a
 * command copied from any output acts as the same participant whatever else is joined on the machine.
 */
export function commandFor(sub: string, s: Pick<Session, "name">, rest = ""): string {
  return `${cliName()} ${sub} --name ${shellWord(s.name)}${rest ? ` ${rest}` : ""}`;
}

/**
 * One identity per agent: a name joined here by another agent process that still runs is not silently shared (its read
 * position and "you" marks would be mixed up with ours). The caller picks another name, or says --share.
 */
export function checkOwner(s: Session, share?: boolean): void {
  if (share || !s.owner) return;
  const me = currentOwner();
  if (sameOwner(s.owner, me) || !ownerAlive(s.owner)) return;
  const cli = cliName();
  throw usageError(
    `${s.name} is already joined in ${s.url} by another running process on this machine (pid ${s.owner.pid}), with its own read position. ` +
      `If you are another agent, join under a name of your own: \`${cli} join --url ${s.url} --name ${shellWord(`${s.name}-2`)}\`. ` +
      `To act as that same participant on purpose (messages one of you reads are marked read for both), add --share (or set AGENT_CHAT_SHARE=1).`,
    "NAME_HELD",
  );
}

// --- internal ---

const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function pickSession(t: Target): Session | undefined {
  let list = listSessions();
  if (t.url) list = list.filter((s) => s.url === t.url);
  if (t.name) {
    const key = foldName(t.name);
    list = list.filter((s) => foldName(s.name) === key);
  }
  if (list.length <= 1) return list[0];
  const names = [...new Map(list.map((s) => [foldName(s.name), s.name])).values()].sort((a, b) => a.localeCompare(b)); // stable order: the state dir lists files by hash
  if (names.length > 1) {
    throw usageError(
      `${names.length} names are joined on this machine (${names.join(", ")}): say which one you are with ${names.map((n) => `--name ${shellWord(n)}`).join(" or ")} (or set AGENT_CHAT_NAME).`,
    );
  }
  // One name in several rooms: rooms are ephemeral, so the latest join is the live one (--url picks another).
  return list.sort((a, b) => b.joinedAt.localeCompare(a.joinedAt))[0];
}

/** The one server this machine serves or has joined rooms of (for --room without --url). */
function soleServer(): string | undefined {
  const servers = new Set([...listHosts().map((h) => h.localUrl), ...listSessions().map((s) => serverOf(s.url))]);
  return servers.size === 1 ? [...servers][0] : undefined;
}

/** The only room served from this machine, if exactly one runs. */
function soleHost(): HostRecord | undefined {
  const hosts = listHosts();
  return hosts.length === 1 ? hosts[0] : undefined;
}

/** A password this machine already knows for `url`: from another joined name, or from serving it. */
function knownPassword(url: string): string | undefined {
  const s = listSessions().find((x) => x.url === url && x.password !== undefined);
  if (s) return s.password;
  return listHosts().find((h) => h.urls.includes(url) || h.localUrl === url)?.password;
}
