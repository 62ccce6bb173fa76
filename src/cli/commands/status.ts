// status: check, in order, that the room answers (health), that the password is right, that your participant token
// still works and under which name — and say exactly which step fails, with the CLI's exit codes (2 unreachable,
// 3 rejected, 4 rate limited, 5 removed). Each passed check is one line on stdout; the failure is the stderr line.
import { request, type Conn, type RoomInfo } from "../../client/http.js";
import { CliError, Exit } from "../../client/exit.js";
import { isMine } from "../../client/format.js";
import { checkOwner, cliName, commandFor, requireSession, targetFrom } from "../../client/session.js";
import { foldName } from "../../protocol/names.js";
import { listSessions, type Session } from "../../client/state.js";
import { quoted } from "../../client/clean.js";
import type { Message } from "../../protocol/types.js";
import { command, connArgs, out } from "./_shared.js";

const TIMEOUT_MS = 5000;

type Check = "ok" | "failed" | "skipped" | "stale";

export default command({
  meta: { name: "status", description: "check the room connection and your credentials, and say exactly what is wrong" },
  args: { ...connArgs },
  examples: ["agent-chat status", "agent-chat status --name alice-bot", "agent-chat status --url http://192.168.1.5:8765 --password PW   # before joining", "agent-chat status --json"],
  async run({ args }) {
    const t = targetFrom(args);
    let session: Session | undefined;
    try {
      // Read-only: a name another running agent holds here is looked at (and said so), not refused.
      session = await requireSession({ ...t, share: true }, { autoJoin: false });
    } catch (err) {
      if (!t.url) throw err; // nothing to check: the message says how to join
    }
    const url = session?.url ?? t.url!;
    const password = t.password ?? session?.password;
    const report = {
      url,
      name: session?.name ?? null,
      title: null as string | null,
      /** Every name joined on this machine in this room, and whether the room still knows its token. */
      joinedHere: [] as { name: string; token: "live" | "unknown" | "removed" | "unreachable" }[],
      health: "skipped" as Check,
      password: "skipped" as Check,
      token: "skipped" as Check,
      online: null as boolean | null,
      unread: null as number | null,
      ok: false,
      problem: null as string | null,
      exitCode: 0 as number,
    };
    const lines: string[] = [];
    const say = (l: string) => (args.json ? undefined : lines.push(l));
    const finish = async (err?: CliError) => {
      report.ok = !err;
      if (err) Object.assign(report, { problem: err.message, exitCode: err.exitCode });
      await out(args.json ? JSON.stringify(report) : lines.join("\n"));
      if (err) throw err;
    };
    const get = <T>(conn: Conn, path: string) => request<T>(conn, "GET", path, { timeoutMs: TIMEOUT_MS });

    try {
      // 1. Does anything answer at the URL, and is it an agent-chat room?
      const started = Date.now();
      let health: { status?: string };
      try {
        health = await get<{ status?: string }>({ url }, "/health");
      } catch (err) {
        report.health = "failed";
        throw err;
      }
      if (health?.status !== "ok") {
        report.health = "failed";
        throw new CliError(Exit.UNREACHABLE, `${url} answers, but not like an agent-chat room (GET /health said ${JSON.stringify(health)}): check the URL in the invite.`);
      }
      report.health = "ok";
      const upMs = Date.now() - started;

      // 2. The password.
      let room: RoomInfo | undefined;
      if (password !== undefined) {
        try {
          room = await get<RoomInfo>({ url, password }, "/room");
        } catch (err) {
          report.password = "failed";
          say(`room:     ${url} is up (${upMs} ms)`);
          throw err;
        }
        report.password = "ok";
      }
      // The title is known once the password or a token opened the room; the first line says which room this is.
      if (!room && session) room = await get<RoomInfo>({ url, token: session.token }, "/room").catch(() => undefined);
      report.title = room ? room.title : null;
      say(`room:     ${room ? `${quoted(room.title)} at ` : ""}${url} is up (${upMs} ms)`);
      if (report.password === "ok") say(`password: accepted${room ? ` by ${quoted(room.title)}` : ""}`);
      else if (session) say("password: not saved here (you joined with a token only; the token is what counts); set AGENT_CHAT_PASSWORD to check it");
      else say("password: not given: set AGENT_CHAT_PASSWORD (or --password) to check it");
      const here = await namesHere(url, get);
      report.joinedHere = here;
      if (here.length) say(`here:     ${here.map((h) => `${h.name} (${h.token === "live" ? "token live" : h.token === "unknown" ? "token no longer known to the room" : `token ${h.token}`})`).join(", ")}`);

      if (!session) {
        say(`token:    not joined here yet: \`AGENT_CHAT_PASSWORD=PASSWORD ${cliName()} join --url ${url} --name NAME\` joins.`);
        return await finish();
      }

      // 3. The participant token, and who it makes you.
      const me = session;
      try {
        room = await get<RoomInfo>({ url, token: me.token }, "/room");
        report.token = "ok";
      } catch (err) {
        if (!(err instanceof CliError && err.exitCode === Exit.REJECTED)) {
          report.token = "failed";
          throw err; // removed by the host (5), rate limited (4), gone (2)
        }
        const holder = room?.participants.find((p) => p.online && foldName(p.name) === foldName(me.name));
        if (report.password !== "ok" || holder) {
          report.token = "failed";
          throw new CliError(
            Exit.REJECTED,
            holder
              ? `${url} no longer knows your token (the room restarted?) and "${me.name}" is in use by someone else now: join again with another --name.`
              : `${url} no longer knows your token (the room restarted?), and no password is saved to join again: \`AGENT_CHAT_PASSWORD=PASSWORD ${cliName()} join --url ${url} --name ${me.name}\`.`,
          );
        }
        report.token = "stale";
        say(`token:    no longer known to this room (it restarted, or your name's hold lapsed); your next command joins again as ${me.name} with the saved password.`);
        return await finish();
      }
      const p = room.participants.find((x) => foldName(x.name) === foldName(me.name));
      report.online = p?.online ?? null;
      const newRoom = me.startedAt && room.startedAt !== me.startedAt ? " (a newer room than the one you joined)" : "";
      say(`token:    valid: you are ${me.name} (${p ? `${p.kind}, ${p.online ? "online" : `offline`}` : "not in the participant list"})${newRoom}`);
      const held = heldElsewhere(me);
      if (held) say(`note:     ${me.name} was joined here by another running process (pid ${held}): it shares this read position.`);
      if (room.paused) say(`note:     agents are paused (${room.paused === "host" ? "by the host" : "waiting for a human to write"}): sends are refused for now.`);

      // 4. What is waiting (the cursor does not move).
      const slice = await get<{ messages: Message[] }>({ url, token: me.token }, `/messages?after=${me.cursor}&limit=1000`);
      report.unread = slice.messages.filter((m) => m.kind !== "system" && !isMine(m, me.name)).length;
      say(`unread:   ${report.unread} after #${me.cursor}${report.unread ? `: \`${commandFor("read", me)}\` shows them` : ""}`);
      await finish();
    } catch (err) {
      if (err instanceof CliError) return finish(err);
      throw err;
    }
  },
});

/** The names joined on this machine in `url`, each with what the room says of its token. */
async function namesHere(url: string, get: <T>(conn: Conn, path: string) => Promise<T>) {
  const sessions = listSessions().filter((s) => s.url === url);
  return Promise.all(
    sessions.map(async (s) => {
      try {
        await get({ url, token: s.token }, "/messages?limit=0");
        return { name: s.name, token: "live" as const };
      } catch (err) {
        const token = err instanceof CliError && err.exitCode === Exit.REMOVED ? "removed" : err instanceof CliError && err.exitCode === Exit.REJECTED ? "unknown" : "unreachable";
        return { name: s.name, token: token as "removed" | "unknown" | "unreachable" };
      }
    }),
  ).then((l) => l.sort((a, b) => a.name.localeCompare(b.name)));
}

/** The pid of another live agent process that owns this name here, if any (checkOwner's verdict, without refusing). */
function heldElsewhere(s: Session): number | undefined {
  try {
    checkOwner(s);
    return undefined;
  } catch (err) {
    return err instanceof CliError && err.reason === "NAME_HELD" ? s.owner?.pid : undefined;
  }
}
