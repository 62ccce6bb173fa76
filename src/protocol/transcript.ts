// Verifiable transcripts: the JSON a room's history is exported as (`agent-chat read --transcript`), and the offline
// check `agent-chat verify` runs on it. Pure: no network, no state — a third party needs only this file.
import { chainHash, fingerprint, KEY_RE, messagePayload, verifyBytes } from "./signing.js";
import type { Message } from "./types.js";

export const TRANSCRIPT_FORMAT = "agent-chat-transcript/v1";

export interface Transcript {
  format: typeof TRANSCRIPT_FORMAT;
  /** The room's identity facts: signatures are bound to `id`. */
  room: { id: string; title: string; url?: string; startedAt?: string };
  exportedAt: string;
  /** The chain hash before messages[0] ("" when it is the room's first message; null when the room forgot it). */
  chainStart: string | null;
  /** The keys the room recorded for its participants at export time. */
  participants: { name: string; kind: string; fingerprint: string | null; key: string | null }[];
  messages: Message[];
}

type Status = "signed" | "unsigned" | "tampered";

export interface MessageResult {
  id: number;
  agent: string;
  status: Status;
  /** For signed messages: the fingerprint computed from the key. */
  fingerprint?: string;
  /** Why a message is tampered, or a note on an unsigned one. */
  why?: string;
}

export interface Verdict {
  ok: boolean;
  /** Problems with the file as a whole (not per message). */
  problems: string[];
  results: MessageResult[];
  counts: Record<Status, number>;
  /** Messages up to this id are pinned by a later valid signature (their text, names and order); 0 when none. */
  pinnedThrough: number;
}

/** Check every signature, the hash chain and the order; see README "Known agents" for what each status means. */
export function verifyTranscript(doc: unknown): Verdict {
  const problems: string[] = [];
  const results: MessageResult[] = [];
  const d = (doc ?? {}) as Partial<Transcript>;
  const messages = Array.isArray(d.messages) ? d.messages : undefined;
  const roomId = typeof d.room?.id === "string" ? d.room.id : undefined;
  if (!messages) problems.push(`no "messages" array: this is not an agent-chat transcript (make one with \`agent-chat read --transcript\`)`);
  if (!roomId) problems.push(`no "room.id": signatures are bound to the room and cannot be checked without it`);
  if (!messages) return verdict(problems, results, 0);

  const recorded = new Map<string, string>(); // name → key the room recorded
  for (const p of Array.isArray(d.participants) ? d.participants : []) if (p && typeof p.name === "string" && typeof p.key === "string") recorded.set(p.name, p.key);

  const firstId = typeof messages[0]?.id === "number" ? messages[0].id : 1;
  const hashes = new Map<number, string>(); // id → chain hash after that message
  let running: string | undefined = firstId === 1 ? "" : typeof d.chainStart === "string" ? d.chainStart : undefined;
  if (firstId === 1 && d.chainStart && d.chainStart !== "") problems.push(`"chainStart" must be "" when the transcript starts at message #1`);
  if (running === undefined) problems.push(`no "chainStart": message #${firstId}'s own content is covered only by its signature, if any`);
  if (running !== undefined) hashes.set(firstId - 1, running);
  const seenNonces = new Set<string>();
  let pinnedThrough = 0;
  let lastId = firstId - 1;

  for (const raw of messages) {
    const m = (raw ?? {}) as Message;
    const r: MessageResult = { id: m.id, agent: m.agent, status: "unsigned" };
    results.push(r);
    const tamper = (why: string) => {
      if (r.status !== "tampered") r.why = why;
      else r.why += `; ${why}`;
      r.status = "tampered";
    };
    if (typeof m.id !== "number" || typeof m.agent !== "string" || typeof m.text !== "string" || typeof m.timestamp !== "string" || typeof m.kind !== "string") {
      tamper("not a message (id, agent, text, timestamp and kind are required)");
      continue;
    }
    // Ids only grow; a gap may be a private message between others (not in this reader's transcript), so what
    // proves nothing public was dropped is the chain below, not the ids.
    if (m.id <= lastId) tamper(`out of order: #${m.id} after #${lastId}`);
    lastId = Math.max(lastId, m.id);
    const isPrivate = (m as { to?: unknown }).to !== undefined;

    // The chain: this message's hash must follow from the one before it and its own content (private ones stay out).
    if (isPrivate) {
      if (m.hash !== undefined) tamper("a private message carries a chain hash (private messages are outside the chain)");
    } else if (running !== undefined) {
      const computed = chainHash(running, m);
      if (m.hash !== undefined && m.hash !== computed) tamper("its content or position does not match its chain hash");
      running = typeof m.hash === "string" ? m.hash : computed;
    } else {
      running = typeof m.hash === "string" ? m.hash : undefined;
    }
    if (running !== undefined) hashes.set(m.id, running);

    if (m.sig === undefined && m.key === undefined) {
      if (recorded.has(m.agent) && m.kind !== "system") r.why = "unsigned, though the room recorded a key for this name (sent before it claimed the name?)";
      else if (isPrivate) r.why = "private: outside the chain, and unsigned";
      continue;
    }
    // A signed message.
    if (typeof m.key !== "string" || !KEY_RE.test(m.key)) {
      tamper("its key is malformed");
      continue;
    }
    r.fingerprint = fingerprint(m.key);
    if (m.fingerprint !== undefined && m.fingerprint !== r.fingerprint) tamper(`its fingerprint field ${m.fingerprint} is not its key's`);
    const want = recorded.get(m.agent);
    if (want !== undefined && want !== m.key) tamper(`signed by ${r.fingerprint}, but the room recorded ${fingerprint(want)} for ${m.agent}`);
    if (!roomId) continue;
    const payload = messagePayload({ room: roomId, name: m.agent, text: m.text, sentAt: String(m.sentAt), nonce: String(m.nonce), prev: String(m.prev), prevId: Number(m.prevId), replyTo: m.replyTo, to: (m as { to?: string }).to });
    if (!verifyBytes(payload, String(m.sig), m.key)) {
      tamper("the signature does not match its text, name, room, time or place");
      continue;
    }
    const nonceKey = `${m.key} ${m.nonce}`;
    if (seenNonces.has(nonceKey)) tamper("a replay: the same signed message appears twice");
    seenNonces.add(nonceKey);
    // Its place: the message it names as `prev` must be earlier, and unchanged since it was signed.
    const prevId = m.prevId;
    if (typeof prevId !== "number" || prevId >= m.id) tamper(`it names #${prevId} as the message before it`);
    else if (prevId >= firstId - 1) {
      const at = hashes.get(prevId);
      if (at === undefined) tamper(`the message it follows (#${prevId}) is not in the transcript`);
      else if (at !== m.prev) tamper(`message #${prevId}, or one before it, was edited, removed or reordered after this was signed`);
    }
    if (r.status !== "tampered") {
      r.status = "signed";
      // Every message up to the one it names is now pinned: changing any of them changes the hash it signed.
      if (typeof prevId === "number" && prevId >= firstId - 1) pinnedThrough = Math.max(pinnedThrough, prevId);
    }
  }
  return verdict(problems, results, pinnedThrough);
}

function verdict(problems: string[], results: MessageResult[], pinnedThrough: number): Verdict {
  const counts: Record<Status, number> = { signed: 0, unsigned: 0, tampered: 0 };
  for (const r of results) counts[r.status]++;
  return { ok: problems.filter((p) => !p.startsWith("no \"chainStart\"")).length === 0 && counts.tampered === 0, problems, results, counts, pinnedThrough };
}
