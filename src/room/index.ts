// The in-memory room: ids, bounded history, participants, the pause and loop guard (pause.ts), and the listeners
// each transport registers. No HTTP and no I/O here: the server's routes call these functions, and the SSE and
// long-poll hubs are listeners. Time comes from `options.now` (Date.now unless a test injects a clock).
import { createRoomLimits, type Origin } from "./limits.js";
import { defaultRoomOptions, type Message, type RoomOptions } from "../protocol/types.js";
import { foldName } from "../protocol/names.js";
import { createHistory } from "./history.js";
import { findMentions } from "./mentions.js";
import { createNotices } from "./notices.js";
import { createParticipants, type JoinAs, type Participant } from "./participants.js";
import { adoptToken, createLogWriter, holdEverywhere, tokenHooks, type AppendGuard, type AppendResult, type MessageLog } from "./log.js";
import { postGuard, settle, sharedAdmission } from "./shared.js";
import { createPause } from "./pause.js";
import { createPrivateIndex } from "./visibility.js";
import { createRoomIdentity, type CheckedSignature, type ProvenKey } from "./identity.js";
import { createPostQueue, type PostExtra } from "./post-queue.js";
import type { SignatureVerifier } from "./verdict.js";
import { checkText, joinLimitedError, pausedError, postLimitedError } from "./refusals.js";
import { roomInfo } from "./info.js";
import { createModeration, recipientOf, type Sender } from "./moderation.js";

export type { Participant } from "./participants.js";
export { visibleTo } from "./visibility.js";
export type { Origin } from "./limits.js";

/** Called once per message with its JSON text, so transports serialise nothing themselves. */
type Listener = (msg: Message, json: string) => void;

export type { MessageLog } from "./log.js";

export type { Sender };

/** `verifier`: checks message signatures off the main thread (server/verify-pool.ts); without one, inline. */
export function createRoom(partial: Partial<RoomOptions> & { id?: string; verifier?: SignatureVerifier } = {}, log?: MessageLog) {
  const options: RoomOptions = { ...defaultRoomOptions, ...partial };
  const { now } = options;
  const startedAt = new Date(now()).toISOString();
  const history = createHistory(options.history, options.historyBytes);
  const identity = createRoomIdentity({ roomId: partial.id, capacity: options.history, requireIdentity: options.requireIdentity, now });
  const participants = createParticipants({
    ...options,
    ...tokenHooks(log),
  });
  const privates = createPrivateIndex();
  const limits = createRoomLimits(options, now);
  const listeners = new Set<Listener>();
  const removalListeners = new Set<(p: Participant) => void>();
  const presenceListeners = new Set<() => void>();
  let title = options.title;
  const notices = createNotices({ windowMs: options.noticeWindowMs, now, emit: (text) => append({ agent: "system", text, kind: "system" }) });
  const mentionsIn = (text: string) => findMentions(text, (key) => participants.byKey(key)?.name);
  /** Human for the pause and the loop guard: a human the host vouched for. A claimed human counts as an agent. */
  const speaksAsHuman = (p: Participant) => p.kind === "human" && p.vouched;
  const writer = log && createLogWriter(log, history, now);
  const queue = createPostQueue(partial.verifier);
  let newest: { msg: Message; json: string } | undefined;
  /** Removals and unbans being stored in Redis (serve --redis): flush() waits for them too. */
  const shares = new Set<Promise<unknown>>();
  const share = (p: Promise<unknown> | undefined) => void (p && (shares.add(p), p.catch(() => {}).finally(() => shares.delete(p))));
  /** serve --redis: each post's outcome (stored, or refused by the store's checks), for `flush(msg)`. */
  const outcomes = new WeakMap<Message, Promise<unknown>>();
  const admission = sharedAdmission({ log, limits, participants, options, now, paused: () => pausing.state });

  function append(fields: Omit<Message, "id" | "timestamp">, signed?: CheckedSignature, guard?: Omit<AppendGuard, "now" | "cost">): Message {
    // Waiting join/leave notices go first, so the history tells things in the order they happened.
    if (notices.pending) notices.flush();
    const msg: Message = { id: history.lastId + 1, agent: fields.agent, text: fields.text, timestamp: new Date(now()).toISOString(), kind: fields.kind };
    if (fields.verified !== undefined) msg.verified = fields.verified;
    if (fields.mentions) msg.mentions = fields.mentions;
    if (fields.replyTo !== undefined) msg.replyTo = fields.replyTo;
    if (fields.vouched !== undefined) msg.vouched = fields.vouched;
    if (fields.host) msg.host = true;
    if (fields.to !== undefined) msg.to = fields.to;
    if (signed) Object.assign(msg, { key: signed.key, fingerprint: signed.fingerprint, sig: signed.sig, nonce: signed.nonce, sentAt: signed.sentAt, prev: signed.prev, prevId: signed.prevId });
    // serve --redis: the log assigns the id; routes await room.flush() before replying, and the message reaches the
    // history and the listeners through ingest(), like everyone else's.
    if (writer) return outcomes.set(msg, writer.append(msg, guard)), msg;
    link(msg);
    newest = { msg, json: JSON.stringify(msg) };
    deliver(msg, newest.json);
    return msg;
  }

  /**
   * The hash chain (README "Known agents"), once the id is known and every other field is set; private messages stay
   * out of it, so every reader's transcript holds the whole chain. (serve --redis: each instance links what it
   * ingests, in id order.)
   */
  function link(msg: Message): boolean {
    const hash = identity.link(msg);
    if (hash !== undefined) msg.hash = hash;
    return hash !== undefined;
  }

  function deliver(msg: Message, json: string) {
    history.push(json);
    privates.add(msg);
    if (privates.size) privates.prune(history.oldestId);
    for (const l of listeners) l(msg, json);
  }

  const system = (text: string) => append({ agent: "system", text, kind: "system" });
  const pausing = createPause({ loopGuard: options.loopGuard, log, system });

  return {
    ...createModeration({ participants, log, share, system, removalListeners }),
    options,
    startedAt,
    /** serve --redis: a participant token unknown here may have been issued by another instance; learn it first. */
    adoptToken: (token: string | undefined) => adoptToken(log, participants, token),
    /** serve --redis: something this room's answer must wait for (an invite key's join counted in Redis): flush()
     * waits for it and rejects with its error. */
    track: (p: Promise<unknown>) => share(p),
    /** Messages go to a log (serve --redis) and are complete only after flush(). */
    logged: !!log,
    /** Resolves when every message this room handed to its log so far is stored (rejects if one was refused). */
    flush: (msg?: Message): Promise<unknown> => (writer || shares.size ? Promise.all([writer?.flush(), msg && outcomes.get(msg), ...shares]) : Promise.resolve()),
    /** serve --redis: the host (or the loop guard) paused or resumed agents through another instance. */
    pausedElsewhere(next: "host" | "loop" | null) {
      pausing.elsewhere(next);
    },
    /** A stored message from the log, in id order: into the history, then to the listeners. `history.restart` first
     * when the log no longer has the messages before it. */
    ingest(msg: Message, json: string) {
      deliver(msg, link(msg) ? JSON.stringify(msg) : json);
    },
    history,
    participants,
    /** Private messages in the history: filter every slice a reader gets through `privates.filter`. */
    privates,
    identity,
    get title() {
      return title;
    },
    get paused() {
      return pausing.state;
    },

    subscribe(l: Listener) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    /** Who is online changed other than through this room's own events (serve --redis: presence elsewhere). */
    onPresence(l: () => void) {
      presenceListeners.add(l);
      return () => void presenceListeners.delete(l);
    },
    presenceChanged() {
      for (const l of presenceListeners) l();
    },
    onRemove(l: (p: Participant) => void) {
      removalListeners.add(l);
      return () => void removalListeners.delete(l);
    },

    /** `to`: a private message to that joined participant (TOKEN_REQUIRED, UNKNOWN_RECIPIENT otherwise).
     * `signed`: the request's signature fields (sig, nonce, sentAt, prev, prevId), checked here (README "Known agents").
     * `origin`: the credential and address the transport saw (rate limits); absent for in-process callers. */
    post(sender: Sender, rawText: unknown, extra: PostExtra = {}, origin?: Origin): Message {
      // Every check before any side effect: a refused post leaves no trace (no participant, no system message).
      extra.recheck?.();
      const text = checkText(rawText, options.maxTextBytes);
      const human = "participant" in sender && speaksAsHuman(sender.participant);
      if (!human && pausing.state) throw pausedError(pausing.state, options.loopGuard, "participant" in sender && sender.participant.kind === "human");
      if (!("participant" in sender)) participants.checkAvailable(sender.name);
      const to = extra.to === undefined ? undefined : recipientOf(participants, sender, extra.to);
      // A private message's signature covers the recipient as the room names it (README "Known agents").
      const signature = identity.checkPost("participant" in sender ? sender.participant : undefined, text, extra.signed, extra.replyTo, to, extra.verdict);
      const limitArgs = ["participant" in sender ? sender.participant.key : undefined, origin, "participant" in sender ? undefined : foldName(sender.name)] as const;
      // serve --redis: the limits (and the pause, the loop guard, the replay cache, ifCaughtUp) are decided by the
      // store in the same step as the append, for every instance at once (src/room/shared.ts).
      if (!writer) {
        const limited = limits.post(...limitArgs);
        if (limited.wait) throw postLimitedError(limited.wait, limited.scope, options.rateLimit);
      }
      let p: Participant;
      if ("participant" in sender) p = sender.participant;
      else {
        const r = participants.passwordSender(sender.name);
        if (r.isNew) notices.add({ name: sender.name, what: "joined (agent, password only)" });
        p = r.participant;
      }
      p.lastSeen = now();
      const msg = append({
        agent: p.name,
        text,
        kind: p.kind,
        verified: "participant" in sender,
        mentions: mentionsIn(text),
        replyTo: extra.replyTo,
        vouched: p.kind === "human" ? p.vouched : undefined,
        host: p.host,
        to,
      }, signature, writer && postGuard({ name: p.name, to, human, loopGuard: options.loopGuard, caughtUpAfter: extra.caughtUpAfter, limits: limits.postPlan(...limitArgs), signature, identity }));
      if (writer) {
        outcomes.set(msg, settle(outcomes.get(msg) as Promise<AppendResult>, {
          after: extra.caughtUpAfter,
          loopGuard: options.loopGuard,
          rateLimit: options.rateLimit,
          claimedHuman: "participant" in sender && sender.participant.kind === "human",
          pausedHere: (state) => pausing.here(state),
          stored: () => signature && identity.commit(msg.fingerprint!, signature),
          loop: (what) => pausing.storedLoop(what, p.name),
          flush: () => writer.flush(),
        }));
        return msg;
      }
      if (signature) identity.commit(msg.fingerprint!, signature);
      pausing.posted(p.name, human);
      return msg;
    },

    /** post(), in arrival order, with a signature verified off the main thread when the room has a verifier: the
     * message at once when nothing had to wait, else a promise of it (room/post-queue.ts). */
    postInOrder(sender: Sender, rawText: unknown, extra: PostExtra = {}, origin?: Origin): Message | Promise<Message> {
      // Nothing to verify, nothing waiting: post() as it is (measured: the queue's closure cost a plain POST ~8 µs).
      if (extra.signed === undefined && queue.waiting === 0) return this.post(sender, rawText, extra, origin);
      return queue.submit(extra.signed !== undefined, (verdict) => this.post(sender, rawText, { ...extra, verdict }, origin));
    },

    /** A message's JSON: the stored one when it is the newest (no second JSON.stringify on the POST path). */
    jsonOf: (msg: Message): string => (newest?.msg === msg ? newest.json : JSON.stringify(msg)),

    /** serve --redis: the post limits for a password-only post under a new name, and the join limits (shared.ts). */
    precheckPost: admission.precheckPost,
    admitJoin: admission.admitJoin,

    /** Register a participant. `as` is a kind (a claim) or {kind, vouched, host}; `origin` feeds the join limits;
     * `proven`: the key a join proof showed (identity.checkJoinProof), without which --require-identity refuses. */
    join(name: string, as: Participant["kind"] | JoinAs, ownToken?: string, origin?: Origin, proven?: ProvenKey) {
      const joinAs: JoinAs = typeof as === "string" ? { kind: as } : as;
      if (!proven) {
        const mine = ownToken ? participants.lookupToken(ownToken) : undefined;
        if (!(mine && "participant" in mine && mine.participant.identity)) identity.checkUnproven(!!joinAs.host);
      }
      const wait = admission.taken(origin) ? 0 : limits.join(origin);
      if (wait) throw joinLimitedError(wait, options.joinLimit);
      const r = participants.join(name, joinAs, ownToken, proven);
      if (r.isNew && proven) share(holdEverywhere(log, participants, r.participant, proven, () => notices.add({ name, what: "left" })));
      // (Whether a "human" is vouched for shows in GET /room and on its messages; the notice keeps its old words.)
      if (r.isNew) notices.add({ name, what: `joined (${joinAs.kind})` });
      return r;
    },

    leave(p: Participant) {
      participants.leave(p);
      notices.add({ name: p.name, what: "left" });
    },

    /** The participant was heard from (a request, a stream or poll ending): presence and name hold run from now. */
    touch(p: Participant) {
      p.lastSeen = now();
    },

    /** Announce waiting join/leave notices now (tests; the room does it by itself before the next message). */
    flushNotices() {
      notices.flush();
    },

    pause() {
      pausing.hostPause();
    },

    resume() {
      pausing.hostResume();
    },

    /** A system message from the server (e.g. a revoked invite key). */
    announce(text: string): Message {
      return system(text);
    },

    setTitle(t: string) {
      title = t;
      system(`The host renamed the room to "${t}".`);
    },

    /** The room's state; the participant list paged (`offset`, `limit`), online first, then by name. `viewer`: who
     * asks (counts leave out private messages it may not see). */
    info(extraLimits: Record<string, number> = {}, page: { offset?: number; limit?: number } = {}, viewer?: string) {
      return roomInfo({ title, startedAt, paused: pausing.state, options, participants, history, privates, identity, now }, extraLimits, page, viewer);
    },
  };
}

export type Room = ReturnType<typeof createRoom>;
