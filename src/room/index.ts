// The in-memory room: ids, bounded history, participants, the loop guard, and the listeners each transport
// registers. No HTTP and no I/O here: the server's routes call these functions, and the SSE and long-poll hubs
// are listeners.
import { RoomError } from "../protocol/errors.js";
import { createBucket } from "./limits.js";
import { foldName } from "../protocol/names.js";
import { defaultRoomOptions, type Message, type RoomOptions } from "../protocol/types.js";
import { createHistory } from "./history.js";
import { createParticipants, type Participant } from "./participants.js";
import { createPrivateIndex } from "./visibility.js";

export type { Participant } from "./participants.js";
export { visibleTo } from "./visibility.js";

/** Called once per message with its JSON text, so transports serialise nothing themselves. */
export type Listener = (msg: Message, json: string) => void;

/** A joined participant (token-bound), or a name and kind from a password-only post (the predecessor's clients). */
export type Sender = { participant: Participant } | { name: string; kind: Participant["kind"] };

// C0 controls other than tab, newline and carriage return, DEL, and C1 controls: they break terminals and logs.
const BAD_TEXT_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const MENTION = /@([\p{L}\p{N}][\p{L}\p{N}_.\-]*)/gu;

export function createRoom(partial: Partial<RoomOptions> = {}) {
  const options: RoomOptions = { ...defaultRoomOptions, ...partial };
  const startedAt = new Date().toISOString();
  const history = createHistory(options.history);
  const participants = createParticipants(options);
  const privates = createPrivateIndex();
  const rate = createBucket(options.rateLimit, Math.max(1, Math.min(options.rateLimit, 20)));
  const listeners = new Set<Listener>();
  const removalListeners = new Set<(p: Participant) => void>();
  let title = options.title;
  let paused: null | "host" | "loop" = null;
  let agentRun = 0; // consecutive agent messages since the last human one

  function mentionsIn(text: string): string[] | undefined {
    if (!text.includes("@")) return undefined;
    const found = new Set<string>();
    for (const m of text.matchAll(MENTION)) {
      const word = m[1]!.replace(/[.\-]+$/, "");
      const key = foldName(word);
      if (key === "all" || key === "everyone") found.add("all");
      else {
        const p = participants.find(word);
        if (p) found.add(p.name);
      }
    }
    // Names with spaces cannot be matched by a word pattern.
    const lower = text.toLowerCase();
    for (const p of participants.all()) if (p.name.includes(" ") && lower.includes("@" + p.name.toLowerCase())) found.add(p.name);
    return found.size ? [...found] : undefined;
  }

  function append(fields: Omit<Message, "id" | "timestamp">): Message {
    const msg: Message = { id: history.lastId + 1, agent: fields.agent, text: fields.text, timestamp: new Date().toISOString(), kind: fields.kind };
    if (fields.verified !== undefined) msg.verified = fields.verified;
    if (fields.mentions) msg.mentions = fields.mentions;
    if (fields.replyTo !== undefined) msg.replyTo = fields.replyTo;
    if (fields.host) msg.host = true;
    if (fields.to !== undefined) msg.to = fields.to;
    const json = JSON.stringify(msg);
    history.push(json);
    privates.add(msg);
    if (privates.size) privates.prune(history.oldestId);
    for (const l of listeners) l(msg, json);
    return msg;
  }

  const system = (text: string) => append({ agent: "system", text, kind: "system" });

  /** The recipient of a private message: only token or key holders send one, to a joined (token-holding) name. */
  function recipient(sender: Sender, to: string): string {
    if (!("participant" in sender) || !sender.participant.tokenHash) {
      throw new RoomError("TOKEN_REQUIRED", `Private messages ("to") need a participant token or invite key: join first (POST /join) and post with your token.`);
    }
    const p = participants.find(to);
    if (!p?.tokenHash) throw new RoomError("UNKNOWN_RECIPIENT", `No joined participant "${to}" in this room to send a private message to; GET /room lists who is here.`);
    return p.name;
  }

  function checkText(text: unknown): string {
    if (typeof text !== "string") throw new RoomError("BAD_FIELD", `"text" must be a string.`);
    if (!text.trim()) throw new RoomError("EMPTY_TEXT", `"text" is empty; send some words.`);
    if (Buffer.byteLength(text) > options.maxTextBytes) {
      throw new RoomError("TEXT_TOO_LARGE", `"text" is ${Buffer.byteLength(text)} bytes; the limit is ${options.maxTextBytes}. Split it into several messages.`);
    }
    if (BAD_TEXT_CHARS.test(text)) throw new RoomError("BAD_TEXT", `"text" contains control characters; remove them (tabs and newlines are fine).`);
    return text;
  }

  return {
    options,
    startedAt,
    history,
    participants,
    /** Private messages in the history: filter every slice a reader gets through `privates.filter`. */
    privates,
    get title() {
      return title;
    },
    get paused() {
      return paused;
    },

    subscribe(l: Listener) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    onRemove(l: (p: Participant) => void) {
      removalListeners.add(l);
      return () => void removalListeners.delete(l);
    },

    /** `to`: a private message to that joined participant (TOKEN_REQUIRED, UNKNOWN_RECIPIENT otherwise). */
    post(sender: Sender, rawText: unknown, extra: { replyTo?: number; to?: string } = {}): Message {
      // Every check before any side effect: a refused post leaves no trace (no participant, no system message).
      const text = checkText(rawText);
      const kind = "participant" in sender ? sender.participant.kind : sender.kind;
      if (kind === "agent" && paused) {
        throw new RoomError(
          "PAUSED",
          paused === "host"
            ? "The host paused agents in this room; wait (agent-chat wait) until the host resumes."
            : `Agents are paused after ${options.loopGuard} agent messages in a row: waiting for a human to write (or the host to resume).`,
        );
      }
      if (!("participant" in sender)) participants.checkAvailable(sender.name);
      const to = extra.to === undefined ? undefined : recipient(sender, extra.to);
      const key = "participant" in sender ? sender.participant.key : foldName(sender.name);
      const retry = rate.take(key);
      if (retry) throw new RoomError("RATE_LIMITED", `Sending too fast (limit ${options.rateLimit}/min per sender); retry in ${retry} s.`, { retryAfter: retry });
      let p: Participant;
      if ("participant" in sender) p = sender.participant;
      else {
        const r = participants.passwordSender(sender.name, sender.kind);
        if (r.isNew) system(`${sender.name} joined (${sender.kind}, password only).`);
        p = r.participant;
      }
      p.lastSeen = Date.now();
      const msg = append({ agent: p.name, text, kind: p.kind, verified: "participant" in sender, mentions: mentionsIn(text), replyTo: extra.replyTo, host: p.host, to });
      if (p.kind === "human") {
        agentRun = 0;
        if (paused === "loop") {
          paused = null;
          system(`${p.name} wrote, so agents may talk again.`);
        }
      } else if (options.loopGuard > 0 && ++agentRun >= options.loopGuard && !paused) {
        paused = "loop";
        system(`Agents paused: ${agentRun} agent messages in a row with no human message. A human message (or the host's Resume) lets them go on.`);
      }
      return msg;
    },

    join(name: string, kind: Participant["kind"], ownToken?: string, asHost = false) {
      const r = participants.join(name, kind, ownToken, asHost);
      if (r.isNew) system(`${name} joined (${kind}).`);
      return r;
    },

    leave(p: Participant) {
      participants.leave(p);
      system(`${p.name} left.`);
    },

    remove(name: string): Participant | undefined {
      const p = participants.remove(name);
      system(`The host removed ${p?.name ?? name}; the name is barred in this room.`);
      if (p) for (const l of removalListeners) l(p);
      return p;
    },

    /** Let a removed name join again. Returns the name as it was barred, or undefined when it was not barred. */
    unban(name: string): string | undefined {
      const was = participants.unban(name);
      if (was !== undefined) system(`The host let ${was} back in.`);
      return was;
    },

    pause() {
      if (paused === "host") return;
      paused = "host";
      system("The host paused agents.");
    },

    resume() {
      if (!paused) return;
      paused = null;
      agentRun = 0;
      system("The host resumed agents.");
    },

    /** A system message from the server (e.g. a revoked invite key). */
    announce(text: string): Message {
      return system(text);
    },

    setTitle(t: string) {
      title = t;
      system(`The host renamed the room to "${t}".`);
    },

    /** `viewer`: who asks (counts leave out private messages it may not see). */
    info(extraLimits: Record<string, number> = {}, viewer?: string) {
      const now = Date.now();
      const list = participants.all().map((p) => participants.info(p, now));
      list.sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
      return {
        title,
        startedAt,
        participants: list,
        messageCount: history.size - privates.hiddenFrom(viewer, history.oldestId, history.lastId),
        lastId: history.lastId,
        oldestId: history.oldestId,
        paused,
        barred: participants.barredNames(),
        limits: {
          history: options.history,
          maxTextBytes: options.maxTextBytes,
          rateLimitPerMinute: options.rateLimit,
          loopGuard: options.loopGuard,
          ...extraLimits,
        },
      };
    },
  };
}

export type Room = ReturnType<typeof createRoom>;
