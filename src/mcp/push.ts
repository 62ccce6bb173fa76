// Push for `agent-chat mcp`: one live subscription (SSE, long-poll when something buffers it; follow.ts) for the
// participant the server acts as. Messages from others are batched for a moment and sent as one notification, unless
// a read/wait tool call is running (it delivers them itself) or the shared cursor already passed them (the agent read
// them with the CLI). When the client shows pushed messages to the model (Claude Code channels), the cursor moves
// past them, so `wait` and `agent-chat read` do not repeat them; otherwise a push is only a heads-up.
import { isReason } from "../client/exit.js";
import { follow, sleep } from "../client/follow.js";
import { isMine, mentionsMe } from "../client/format.js";
import { sessionConn, withSession } from "../client/session.js";
import { render } from "../client/inbox.js";
import { cleanInline } from "../client/clean.js";
import { saveCursor, type Session } from "../client/state.js";
import type { Message } from "../protocol/types.js";

export type PushMode = "all" | "mentions" | "off";

interface PusherOptions {
  mode: PushMode;
  /** A read/wait tool call is running. */
  busy: () => boolean;
  /** Whether the client shows pushed messages to the model (then they count as read). */
  consumes: () => boolean;
  notify: (content: string, meta: Record<string, string>) => Promise<void>;
  log: (line: string) => void;
  /** Messages arriving within this long go out as one notification. @default 250 */
  batchMs?: number;
}

export class Pusher {
  private ac?: AbortController;
  private key?: string;
  private queue: Message[] = [];
  private timer?: NodeJS.Timeout;
  private flushing = Promise.resolve();

  constructor(private readonly o: PusherOptions) {}

  /** Follow this participant's room (again only when the identity or its token changed). */
  follow(s: Session): void {
    if (this.o.mode === "off") return;
    const key = `${s.url}\n${s.name}\n${s.token}`;
    if (key === this.key) return;
    this.stop();
    this.key = key;
    const ac = new AbortController();
    this.ac = ac;
    void this.run({ url: s.url, name: s.name }, ac.signal);
  }

  stop(): void {
    this.ac?.abort();
    this.ac = undefined;
    this.key = undefined;
    clearTimeout(this.timer);
    this.queue = [];
  }

  private async run(who: { url: string; name: string }, signal: AbortSignal) {
    let backoff = 1000;
    while (!signal.aborted) {
      try {
        // The saved session, re-joined with the saved password when the room no longer knows the token.
        const s = await withSession(who, async (s, c) => (await c.messages(s.cursor, 1), s));
        if (signal.aborted) return;
        this.key = `${s.url}\n${s.name}\n${s.token}`;
        backoff = 1000;
        await follow({
          conn: sessionConn(s),
          after: s.cursor,
          signal,
          onMessage: (m) => this.add(m, who),
          log: (l) => this.o.log(l),
        });
      } catch (err) {
        if (signal.aborted) return;
        if (isReason(err, "REMOVED", "NAME_BARRED")) {
          this.o.log(err.message);
          await this.o.notify(`agent-chat: ${err.message}`, { event: "removed" }).catch(() => {});
          return;
        }
        this.o.log(`live updates paused: ${(err as Error).message} Retrying in ${Math.round(backoff / 1000)} s.`);
        await sleep(backoff, signal);
        backoff = Math.min(30_000, backoff * 2);
      }
    }
  }

  private add(m: Message, who: { url: string; name: string }) {
    this.queue.push(m);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const batch = this.queue.splice(0);
      this.flushing = this.flushing.then(() => this.flush(batch, who)).catch((err) => this.o.log(`push failed: ${(err as Error).message}`));
    }, this.o.batchMs ?? 250);
  }

  private async flush(batch: Message[], who: { url: string; name: string }) {
    if (this.o.busy()) return; // the running read/wait delivers them
    // The cursor as it is now: the CLI or a tool call may have read some of these meanwhile.
    let s: Session;
    try {
      s = await withSession(who, async (s) => s);
    } catch {
      return;
    }
    const mentionsOnly = this.o.mode === "mentions";
    const fresh = batch.filter((m) => m.id > s.cursor);
    const shown = fresh.filter((m) => m.kind !== "system" && !isMine(m, s.name) && (!mentionsOnly || mentionsMe(m, s.name)));
    if (!shown.length) return;
    const consumes = this.o.consumes();
    const last = shown[shown.length - 1]!.id;
    const text = [
      render({ shown, skipped: 0, cursor: last }, { me: s.name, mention: mentionsOnly }),
      consumes ? "(marked read; answer with the send tool)" : "(call read or wait to mark them read)",
    ].join("\n");
    const meta: Record<string, string> = {
      // Names are another participant's words: one line, no controls (clean.ts).
      from: [...new Set(shown.map((m) => cleanInline(m.agent, 60)))].join(","),
      message_id: String(last),
      count: String(shown.length),
    };
    if (shown.some((m) => mentionsMe(m, s.name))) meta.mentions_you = "true";
    await this.o.notify(text, meta);
    if (!consumes) return;
    // Re-read once more: never move the cursor back over what a concurrent read took meanwhile.
    const now = await withSession(who, async (s) => s).catch(() => undefined);
    if (now && now.token === s.token && now.cursor < last) saveCursor(now, last);
  }
}

