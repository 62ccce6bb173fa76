// One room's participants as the other instances see them (serve --redis): who is online or holds a name through
// them (presence), names held by agent keys, removals, announced senders and tokens learnt or ended elsewhere. The
// state is participants.ts's own (passed in); in memory none of these is called.
import { foldName } from "../protocol/names.js";
import { fingerprint, publicKeyObject } from "../protocol/signing.js";
import type { ProvenKey } from "./identity.js";
import type { Participant, ParticipantOptions } from "./participant.js";

export interface MembershipState {
  byKey: Map<string, Participant>;
  byToken: Map<string, Participant>;
  revoked: Map<string, string>;
  barred: Map<string, string>;
  keyHolds: Map<string, ProvenKey>;
  /** Password-only senders whose "joined" line the room has (folded names); empty in memory. */
  announced: Set<string>;
  /** Folded names online through other instances, and names token holders hold through them (src/rooms/redis/presence.ts). */
  presence: { online: ReadonlySet<string>; held: ReadonlySet<string> };
}

export function sharedMembership(st: MembershipState, forget: (p: Participant, everywhere?: boolean) => void, opts: ParticipantOptions) {
  return {
    /** serve --redis: who is online through the other instances now (folded names). */
    setOnlineElsewhere(names: ReadonlySet<string>, held: ReadonlySet<string> = new Set()): boolean {
      const changed = names.size !== st.presence.online.size || [...names].some((n) => !st.presence.online.has(n));
      st.presence.online = names;
      st.presence.held = held;
      return changed;
    },
    /** serve --redis: a password-only sender whose "joined" line another instance wrote: none here for it. */
    announcedElsewhere(folded: string) {
      st.announced.add(folded);
    },
    /** serve --redis: what this instance knows that Redis keeps for every instance (put back after Redis lost it). */
    sharedState() {
      return {
        barred: [...st.barred.entries()],
        revoked: [...st.revoked.entries()],
        holds: [...st.keyHolds.entries()].map(([folded, k]) => [folded, k.key] as [string, string]),
        announced: [...st.announced],
      };
    },
    /** serve --redis: a password-only sender another instance met (online there). */
    learnSender(name: string, lastSeen = opts.now()): Participant | undefined {
      const key = foldName(name);
      if (st.byKey.has(key) || st.barred.has(key)) return st.byKey.get(key);
      if (st.byKey.size >= opts.maxParticipants) return undefined; // full here: it is listed where it posts
      const p: Participant = { name, key, kind: "agent", vouched: false, lastSeen, via: "http", connections: 0 };
      st.byKey.set(key, p);
      return p;
    },
    /** serve --redis: a name held by an agent key through another instance. */
    learnHold(name: string, key: string, replace = false, folded = foldName(name)) {
      if (st.keyHolds.has(folded) && !replace) return;
      try {
        st.keyHolds.set(folded, { key, fingerprint: fingerprint(key), object: publicKeyObject(key) });
      } catch {
        /* not a key: a damaged record; no hold */
      }
    },
    /** Is this token hash one of a participant here? */
    hasToken(tokenHash: string) {
      return st.byToken.has(tokenHash);
    },
    /** serve --redis: a token ended elsewhere (its invite key started a new session there): forgotten here, as a
     * leave. */
    endToken(tokenHash: string) {
      const p = st.byToken.get(tokenHash);
      if (p?.tokenHash === tokenHash) forget(p, false);
      else st.byToken.delete(tokenHash);
    },
    /** A token the host removed on another instance (serve --redis): refused here with REMOVED from now on. */
    revoke(tokenHash: string, name: string) {
      const p = st.byToken.get(tokenHash);
      st.byToken.delete(tokenHash);
      if (p && p.tokenHash === tokenHash && st.byKey.get(p.key) === p) st.byKey.delete(p.key);
      st.revoked.set(tokenHash, name);
    },
  };
}
