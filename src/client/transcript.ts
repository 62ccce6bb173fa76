// Export a room's retained history as a verifiable transcript (README "Known agents"): the room's identity facts,
// the chain start and every message with its signature, fetched in bounded batches.
import { TRANSCRIPT_FORMAT, type Transcript } from "../protocol/transcript.js";
import type { Message } from "../protocol/types.js";
import type { Client } from "./http.js";
import { usageError } from "./exit.js";
import { withSession, type Target } from "./session.js";

const BATCH = 1000;

/** The transcript of the room this participant is in (`agent-chat read --transcript`); the cursor does not move. */
export const transcriptOf = (t: Target) => withSession(t, (_s, client) => fetchTranscript(client));

export async function fetchTranscript(client: Client): Promise<Transcript> {
  // The oldest messages may be dropped from the history while we read: then start again (once is nearly always enough).
  for (let attempt = 0; attempt < 3; attempt++) {
    const room = await client.room();
    if (!room.id) throw usageError(`${client.conn.url} predates signed transcripts (its /room has no id): update the host's agent-chat.`);
    const messages: Message[] = [];
    let after = room.oldestId - 1;
    let reset = false;
    for (;;) {
      const slice = await client.messages(after, BATCH);
      if (slice.reset) reset = true;
      messages.push(...slice.messages);
      if (!slice.messages.length || slice.next >= room.lastId) break;
      after = slice.next;
    }
    if (reset || (messages.length && messages[0]!.id !== room.oldestId)) continue;
    return {
      format: TRANSCRIPT_FORMAT,
      room: { id: room.id, title: room.title, url: client.conn.url, startedAt: room.startedAt },
      exportedAt: new Date().toISOString(),
      chainStart: room.chainStart ?? null,
      participants: room.participants.map((p) => ({ name: p.name, kind: p.kind, fingerprint: p.fingerprint ?? null, key: p.key ?? null })),
      messages,
    };
  }
  throw usageError("the room's history moved faster than it could be read three times; try again when it is quieter.");
}
