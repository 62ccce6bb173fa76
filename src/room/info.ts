// GET /room's answer for one room: its state, its limits, and the participant list paged, online first, then by name.
import type { RoomOptions } from "../protocol/types.js";
import type { History } from "./history.js";
import type { RoomIdentity } from "./identity.js";
import type { Participants } from "./participants.js";
import type { PrivateIndex } from "./visibility.js";

/** Most participants one GET /room lists; the rest are paged with ?offset=. */
const MAX_PARTICIPANTS_LISTED = 200;

interface InfoSource {
  title: string;
  startedAt: string;
  paused: null | "host" | "loop";
  options: RoomOptions;
  participants: Participants;
  history: History;
  privates: PrivateIndex;
  identity: RoomIdentity;
  now: () => number;
}

/** `viewer`: who asks (counts leave out private messages it may not see). */
export function roomInfo(r: InfoSource, extraLimits: Record<string, number> = {}, page: { offset?: number; limit?: number } = {}, viewer?: string) {
  const { options, participants, history, privates } = r;
  const t = r.now();
  participants.sweep();
  const list = participants.all().map((p) => participants.info(p, t));
  list.sort((a, b) => Number(b.online) - Number(a.online) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const offset = page.offset ?? 0;
  const limit = Math.min(page.limit ?? MAX_PARTICIPANTS_LISTED, MAX_PARTICIPANTS_LISTED);
  const shown = list.slice(offset, offset + limit);
  return {
    title: r.title,
    startedAt: r.startedAt,
    requireIdentity: options.requireIdentity,
    participants: shown,
    participantCount: list.length,
    ...(offset + shown.length < list.length ? { participantsMore: true, participantsNext: offset + shown.length } : {}),
    messageCount: history.size - privates.hiddenFrom(viewer, history.oldestId, history.lastId),
    lastId: history.lastId,
    oldestId: history.oldestId,
    paused: r.paused,
    // The chain hash before the oldest kept message: where a transcript's chain starts (README "Known agents").
    chainStart: r.identity.hashAt(history.oldestId - 1) ?? null,
    barred: participants.barredNames(),
    limits: {
      history: options.history,
      maxTextBytes: options.maxTextBytes,
      historyBytes: options.historyBytes,
      rateLimitPerMinute: options.rateLimit,
      joinLimitPerMinute: options.joinLimit,
      maxParticipants: options.maxParticipants,
      maxBatch: options.maxBatch,
      loopGuard: options.loopGuard,
      ...extraLimits,
    },
  };
}
