// What the host does to people in a room: remove (and bar) a name, let it back in, and change the password — here
// and, with serve --redis, on every other instance through the room's log. Also who a private message may go to.
// The room (index.ts) spreads these into its own object; nothing here holds state of its own.
import { RoomError } from "../protocol/errors.js";
import { foldName } from "../protocol/names.js";
import type { MessageLog } from "./log.js";
import type { Participant, Participants } from "./participants.js";

/** A joined participant (token-bound), or a name from a password-only post (the predecessor's clients): always an
 * agent, whatever the body says. */
export type Sender = { participant: Participant } | { name: string };

/** The recipient of a private message: only token or key holders send one, to a joined (token-holding) name. */
export function recipientOf(participants: Participants, sender: Sender, to: string): string {
  if (!("participant" in sender) || !sender.participant.tokenHash) {
    throw new RoomError("TOKEN_REQUIRED", `Private messages ("to") need a participant token or invite key: join first (POST /join) and post with your token.`);
  }
  const p = participants.find(to);
  if (!p?.tokenHash) throw new RoomError("UNKNOWN_RECIPIENT", `No joined participant "${to}" in this room to send a private message to; GET /room lists who is here.`);
  return p.name;
}

interface ModerationDeps {
  participants: Participants;
  log?: MessageLog;
  /** Something the room's answer must wait for (flush()). */
  share: (p: Promise<unknown> | undefined) => void;
  /** Write a system line. */
  system: (text: string) => unknown;
  removalListeners: Set<(p: Participant) => void>;
}

export function createModeration({ participants, log, share, system, removalListeners }: ModerationDeps) {
  return {
    remove(name: string): Participant | undefined {
      const p = participants.remove(name);
      share(log?.shareRemoval?.(p?.name ?? name, foldName(name), p?.tokenHash ? [p.tokenHash] : []));
      system(`The host removed ${p?.name ?? name}; the name is barred in this room.`);
      if (p) for (const l of removalListeners) l(p);
      return p;
    },

    /** Let a removed name join again. Returns the name as it was barred, or undefined when it was not barred. */
    unban(name: string): string | undefined {
      const was = participants.unban(name);
      if (was !== undefined) share(log?.shareUnban?.(name, foldName(name)));
      if (was !== undefined) system(`The host let ${was} back in.`);
      return was;
    },

    /** serve --redis: the host removed `name` through another instance (it wrote the system line): bar it here, refuse
     * its tokens with REMOVED, end its streams and sockets here. */
    removedElsewhere(name: string, tokens: string[]) {
      const p = participants.remove(name);
      for (const h of tokens) participants.revoke(h, name);
      if (p) for (const l of removalListeners) l(p);
    },

    /** serve --redis: …and let it back in there. */
    unbannedElsewhere(name: string) {
      participants.unban(name);
    },

    /** The host changed the password: say so, without the password, to everyone already in. */
    passwordChanged(password?: string) {
      if (password !== undefined) share(log?.sharePassword?.(password)); // serve --redis: every instance follows
      system("The host changed the room password. Everyone already in the room carries on as before (tokens and keys are not affected); only new joins need the new password.");
    },
  };
}
