// The room's side of a shared message log (serve --redis; the log itself is src/rooms/redis/log.ts). Without a log
// the room assigns ids and delivers at once (the in-memory mode) and nothing here is used.
import { RoomError } from "../protocol/errors.js";
import type { Message } from "../protocol/types.js";
import type { ProvenKey } from "./identity.js";
import { bytesPerChar, type History } from "./history.js";
import type { BucketSpec, PostPlan } from "./limits.js";
import { hashToken, type createParticipants, type Participant, type SharedParticipant } from "./participants.js";

/**
 * Where messages are stored when not in this process: the log assigns ids, and hands every stored message back —
 * this instance's and others' — in id order to `room.ingest`, which fills the history and calls the listeners.
 */
export interface MessageLog {
  /** Store a message given as JSON without its id; resolves with its id once stored and ingested here. With a
   * guard, the store checks it in the same atomic step (and rejects with AppendRefused when it does not hold). */
  append(bodyWithoutId: string, guard: AppendGuard): Promise<AppendResult>;
  /** Take one token from each bucket, or none (serve --redis: joins, shared by every instance); seconds to wait.
   * `look`: take nothing, only say how long. */
  takeTokens?(specs: BucketSpec[], now: number, look?: boolean): Promise<number>;
  /** Tokens, hashed, shared with the other instances: remember one issued here… */
  shareToken?(tokenHash: string, p: SharedParticipant): void;
  /** …and find one issued elsewhere (or removed by the host there: its name)… */
  findToken?(tokenHash: string): Promise<SharedParticipant | { removed: string } | undefined>;
  /** …and end one everywhere (left, removed, replaced). */
  dropToken?(tokenHash: string): void;
  /** The host removed `name` here (barred, `tokens` revoked): every instance follows; resolves once stored. */
  shareRemoval?(name: string, folded: string, tokens: string[]): Promise<void>;
  /** …and let it back in. */
  shareUnban?(name: string, folded: string): Promise<void>;
  /** A name first joined with this agent key here: held by it on every instance. Resolves with the key that holds
   * the name already when another one got there first (through another instance, a moment before). */
  claimHold?(name: string, folded: string, key: string): Promise<string | undefined>;
  /** A password-only sender's first post here: the other instances know it from now on (no second "joined" line). */
  shareSender?(name: string, folded: string): void;
  /** An invite key unknown here may have been minted elsewhere: learn it (and its current session) first. */
  adoptKey?(secret: string): Promise<void>;
  /** The host rotated the password here: every instance checks the new one; resolves once stored. */
  sharePassword?(password: string): Promise<void>;
  /** Agents paused or resumed here: every instance follows. */
  sharePause?(state: "host" | "loop" | null, stored?: boolean): void;
}

/**
 * What the shared store decides in the same step as storing a message (serve --redis), so that no other instance can
 * slip in between a check and the append: everything the in-memory room decides in one synchronous `post`.
 */
export interface AppendGuard {
  /** The room's clock (the instance's, which tests may inject). */
  now: number;
  /** What the message costs in the history (history.ts's jsonCost of its text as readers get it): `perChar` × (`chars`
   * + the digits of the id it will get). */
  cost: { perChar: 1 | 2; chars: number };
  /** Its sender as names compare (foldName), and its recipient's; `system` for the room's own lines. */
  from?: string;
  to?: string;
  /** A post: "agent" (paused agents are refused, and it counts towards the loop guard) or "human" (a vouched human:
   * it lifts the loop guard). The room's own lines have none. */
  speaker?: "agent" | "human";
  /** Agent messages in a row that pause agents (0: never). */
  loopGuard?: number;
  /** POST /messages?after=N&ifCaughtUp=1: refuse if anything from others that `from` may see came after N. */
  caughtUpAfter?: number;
  /** The rate limits' buckets, all or nothing. */
  limits?: PostPlan;
  /** A signed message: its nonce is refused if seen before from that key (`id`: fingerprint + nonce). */
  nonce?: { id: string; sentAt: number; windowMs: number; max: number };
}

/** The store's answer: the id, and whether this message paused agents (the loop guard) or let them go on. */
export interface AppendResult {
  id: number;
  loop?: "paused" | "lifted";
}

/** The store refused the message: the guard did not hold. Nothing was stored. */
export class AppendRefused extends Error {
  constructor(
    readonly why: "UNREAD_WAITING" | "PAUSED" | "REPLAYED" | "STALE_NONCE" | "RATE_LIMITED",
    readonly detail: { count?: number; paused?: "host" | "loop"; wait?: number; scope?: "sender" | "room" } = {},
  ) {
    super(`append refused: ${why}`);
  }
}

/** Appends handed to the log and not yet confirmed; `msg` is completed (id, chain hash) when its own is. */
export function createLogWriter(log: MessageLog, history: History, now: () => number) {
  const writes = new Set<Promise<unknown>>();
  return {
    /** Hand `msg` to the log; resolves with the store's answer once `msg` is complete (id, chain hash). A refusal
     * (AppendRefused) rejects this promise only: other requests' flush() is not failed by it. */
    append(msg: Message, guard: Omit<AppendGuard, "now" | "cost"> = {}): Promise<AppendResult> {
      const { id: _none, ...body } = msg;
      const json = JSON.stringify(body);
      // The text readers get is '{"id":N,' + the rest, plus ',"hash":"<43>"' on a public message (the chain): the
      // store counts exactly what history.ts counts, so both drop the same oldest message.
      const cost = { perChar: bytesPerChar(json), chars: json.length + 6 + (msg.to === undefined ? 53 : 0) } as const;
      const w = log.append(json, { ...guard, now: now(), cost }).then((r) => {
        // The poster is answered with the message as stored and ingested here (its id, and the chain hash).
        const stored = history.since(r.id - 1, 1).items[0];
        Object.assign(msg, stored && (JSON.parse(stored) as Message).id === r.id ? JSON.parse(stored) : { id: r.id });
        return r;
      });
      const settled = w.catch((e: unknown) => {
        if (!(e instanceof AppendRefused)) throw e;
      });
      writes.add(settled);
      void settled.catch(() => {}).finally(() => writes.delete(settled));
      return w;
    },
    /** Resolves when every append so far is stored (rejects if one failed: the store is unreachable). */
    flush(): Promise<unknown> {
      return writes.size ? Promise.all(writes) : Promise.resolve();
    },
  };
}

/** The participants' hooks that share tokens through the log. */
export function tokenHooks(log: MessageLog | undefined) {
  const share = log?.shareToken?.bind(log);
  return {
    onToken: share && ((h: string, p: Participant) => share(h, { name: p.name, kind: p.kind, vouched: p.vouched, host: !!p.host, ...(p.identity && { key: p.identity.key }) })),
    onTokenGone: log?.dropToken?.bind(log),
    onSender: log?.shareSender && ((p: Participant) => log.shareSender!(p.name, p.key)),
  };
}

/** A participant token unknown here may have been issued by another instance: learn it first (an invite key
 * likewise, with the participant of its current session). */
export async function adoptToken(log: MessageLog | undefined, participants: ReturnType<typeof createParticipants>, token: string | undefined) {
  if (token?.startsWith("ak_") && log?.adoptKey) return log.adoptKey(token);
  if (!token?.startsWith("ac_") || !log?.findToken || participants.lookupToken(token)) return;
  await adoptHash(log, participants, hashToken(token));
}

/** adoptToken by the token's hash (a key's session, known by its hash only). */
export async function adoptHash(log: MessageLog, participants: ReturnType<typeof createParticipants>, h: string) {
  if (!log.findToken || participants.hasToken(h)) return;
  const shared = await log.findToken(h);
  if (shared && "removed" in shared) participants.revoke(h, shared.removed);
  else if (shared) participants.adopt(h, shared);
}

/**
 * serve --redis: the first agent key under a name holds it on every instance. If another key got there first through
 * another instance, this join is undone before its token is handed out (routes await the room's flush()), and the
 * room hears it left (its "joined" line may be out already).
 */
export function holdEverywhere(log: MessageLog | undefined, participants: ReturnType<typeof createParticipants>, p: Participant, proven: ProvenKey, left: () => void) {
  return log?.claimHold?.(p.name, p.key, proven.key).then((holder) => {
    if (holder === undefined) return;
    participants.leave(p);
    left();
    participants.learnHold(p.name, holder, true);
    throw new RoomError("NAME_HELD", `"${p.name}" is held in this room by another agent key; only that key can use it. Pick another name.`);
  });
}
