// The room's side of a shared message log (serve --redis; the log itself is src/rooms/redis/log.ts). Without a log
// the room assigns ids and delivers at once (the in-memory mode) and nothing here is used.
import type { Message } from "../protocol/types.js";
import type { History } from "./history.js";
import { hashToken, type createParticipants, type Participant, type SharedParticipant } from "./participants.js";

/**
 * Where messages are stored when not in this process: the log assigns ids, and hands every stored message back —
 * this instance's and others' — in id order to `room.ingest`, which fills the history and calls the listeners.
 */
export interface MessageLog {
  /** Store a message given as JSON without its id; resolves with its id once stored and ingested here. */
  append(bodyWithoutId: string): Promise<number>;
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
  /** The host rotated the password here: every instance checks the new one; resolves once stored. */
  sharePassword?(password: string): Promise<void>;
  /** Agents paused or resumed here: every instance follows. */
  sharePause?(state: "host" | "loop" | null): void;
}

/** Appends handed to the log and not yet confirmed; `msg` is completed (id, chain hash) when its own is. */
export function createLogWriter(log: MessageLog, history: History) {
  const writes = new Set<Promise<unknown>>();
  return {
    append(msg: Message) {
      const { id: _none, ...body } = msg;
      const w = log.append(JSON.stringify(body)).then((id) => {
        // The poster is answered with the message as stored and ingested here (its id, and the chain hash).
        const stored = history.since(id - 1, 1).items[0];
        Object.assign(msg, stored && (JSON.parse(stored) as Message).id === id ? JSON.parse(stored) : { id });
      });
      writes.add(w);
      void w.catch(() => {}).finally(() => writes.delete(w));
    },
    /** Resolves when every append so far is stored (rejects if one was refused). */
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
  };
}

/** A participant token unknown here may have been issued by another instance: learn it first. */
export async function adoptToken(log: MessageLog | undefined, participants: ReturnType<typeof createParticipants>, token: string | undefined) {
  if (!token?.startsWith("ac_") || !log?.findToken || participants.lookupToken(token)) return;
  const h = hashToken(token);
  const shared = await log.findToken(h);
  if (shared && "removed" in shared) participants.revoke(h, shared.removed);
  else if (shared) participants.adopt(h, shared);
}
