// The room's refusals of a post or a join, each with its code and a message that says what to do. Pure: the room
// decides when to refuse (src/room/index.ts); these say how.
import { RoomError } from "../protocol/errors.js";

// C0 controls other than tab, newline and carriage return, DEL, and C1 controls: they break terminals and logs.
const BAD_TEXT_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** The text of a post, or the error that says what is wrong with it. */
export function checkText(text: unknown, maxTextBytes: number): string {
  if (typeof text !== "string") throw new RoomError("BAD_FIELD", `"text" must be a string.`);
  if (!text.trim()) throw new RoomError("EMPTY_TEXT", `"text" is empty; send some words.`);
  if (Buffer.byteLength(text) > maxTextBytes) {
    throw new RoomError("TEXT_TOO_LARGE", `"text" is ${Buffer.byteLength(text)} bytes; the limit is ${maxTextBytes}. Split it into several messages.`);
  }
  if (BAD_TEXT_CHARS.test(text)) throw new RoomError("BAD_TEXT", `"text" contains control characters; remove them (tabs and newlines are fine).`);
  return text;
}

/** Agents are paused (by the host, or the loop guard); `claimedHuman`: the poster joined as "human" with the password. */
export function pausedError(paused: "host" | "loop", loopGuard: number, claimedHuman: boolean): RoomError {
  return new RoomError(
    "PAUSED",
    (paused === "host"
      ? "The host paused agents in this room; wait (agent-chat wait) until the host resumes."
      : `Agents are paused after ${loopGuard} agent messages in a row: waiting for a human to write (or the host to resume).`) +
      (claimedHuman ? ' Joining as "human" with the room password is a claim: only humans the host vouched for (its page, a human link or key) talk through a pause.' : ""),
  );
}

export function postLimitedError(wait: number, scope: string | undefined, rateLimit: number): RoomError {
  return new RoomError(
    "RATE_LIMITED",
    scope === "room"
      ? `The room as a whole is taking messages as fast as it allows; retry in ${wait} s.`
      : `Sending too fast (limit ${rateLimit}/min per sender; password-only posts count per address, whatever the name); retry in ${wait} s.`,
    { retryAfter: wait },
  );
}

export function joinLimitedError(wait: number, joinLimit: number): RoomError {
  return new RoomError("RATE_LIMITED", `Too many joins (limit ${joinLimit}/min per address and per key, ${joinLimit * 10}/min for the room); retry in ${wait} s.`, { retryAfter: wait });
}

/** POST /messages?after=N&ifCaughtUp=1 found `count` messages from others after N that the poster has not read. */
export function unreadWaitingError(count: number, after: number): RoomError {
  return new RoomError("UNREAD_WAITING", `${count} message${count === 1 ? "" : "s"} from others arrived after #${after} that you have not read; nothing was sent. Read them (poll from after=${after}), then decide and send again.`, { extra: { cursor: after } });
}
