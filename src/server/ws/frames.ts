// Reading client frames and writing server frames (README "WebSocket"). A client frame is checked here once, so the
// hub works on typed values; server frames that every socket gets are built once as a Buffer.
import { RoomError } from "../../protocol/errors.js";
import type { ClientFrame, ServerFrame, WsOnlyCode } from "../../protocol/ws.js";
import { signedFields } from "../identity.js";

/** A frame the client got wrong in a way only a socket can (the rest are RoomErrors with HTTP codes). */
export class FrameError extends Error {
  constructor(
    readonly code: WsOnlyCode,
    message: string,
  ) {
    super(message);
  }
}

const MAX_REF = 100;

/** Parse one text frame; throws FrameError (not JSON, no known type) or RoomError (a field is wrong). */
export function parseFrame(text: string): ClientFrame & { ref?: string | number } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new FrameError("BAD_FRAME", "A frame must be one JSON object with a \"type\"; this one is not JSON.");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new FrameError("BAD_FRAME", "A frame must be one JSON object with a \"type\".");
  const f = v as Record<string, unknown>;
  switch (f.type) {
    case "ping":
    case "pong":
      return { type: f.type };
    case "join":
      return {
        type: "join",
        password: optString(f, "password"),
        key: optString(f, "key"),
        token: optString(f, "token"),
        name: f.name === undefined ? undefined : (f.name as string), // checked by the name rules on use
        kind: f.kind === undefined ? undefined : kindOf(f.kind),
        after: f.after === undefined || f.after === null ? undefined : cursorOf(f.after),
      };
    case "send": {
      const ref = refOf(f.ref);
      const replyTo = f.replyTo === undefined ? undefined : Number(f.replyTo);
      if (replyTo !== undefined && !Number.isSafeInteger(replyTo)) throw withRef(new RoomError("BAD_FIELD", `"replyTo" must be a message id.`), ref);
      // A signed send carries sig, nonce, sentAt, prev, prevId as POST /messages does (README "Known agents").
      return { type: "send", text: f.text as string, to: optString(f, "to", ref), replyTo, ref, ...(f.sig !== undefined && { signed: signedFields(f) }) };
    }
    default:
      throw new FrameError("BAD_FRAME", `Unknown frame type ${JSON.stringify(String(f.type)).slice(0, 60)}: use join, send, ping or pong.`);
  }
}

/** The `error` frame for any failure: RoomErrors keep their HTTP code, anything else is INTERNAL. */
export function errorFrame(err: unknown, ref?: string | number): ServerFrame {
  const r = (err as { ref?: string | number }).ref ?? ref;
  if (err instanceof FrameError) return { type: "error", ...(r !== undefined && { ref: r }), code: err.code, message: err.message };
  const e = err instanceof RoomError ? err : new RoomError("INTERNAL", "Unexpected server error; the room is still running. Try again; if it repeats, tell the host.");
  return { type: "error", ...(r !== undefined && { ref: r }), code: e.code, message: e.message, ...(e.retryAfter && { retryAfter: e.retryAfter }), ...e.extra };
}

/** The live frame for a message, from its already-serialised JSON: one Buffer shared by every socket. */
export const messageFrame = (json: string) => Buffer.from(`{"type":"message","message":${json}}`);
export const frameBuffer = (f: ServerFrame) => Buffer.from(JSON.stringify(f));

// --- internal ---

function optString(f: Record<string, unknown>, key: string, ref?: string | number): string | undefined {
  const v = f[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw withRef(new RoomError("BAD_FIELD", `"${key}" must be a string.`), ref);
  return v;
}

function kindOf(v: unknown): "agent" | "human" {
  if (v === "agent" || v === "human") return v;
  throw new RoomError("BAD_FIELD", `"kind" must be "agent" or "human".`);
}

function cursorOf(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new RoomError("BAD_FIELD", `"after" must be a message id (an integer from 0).`);
  return n;
}

function refOf(v: unknown): string | number | undefined {
  if (v === undefined || v === null) return undefined;
  if ((typeof v === "string" && v.length <= MAX_REF) || (typeof v === "number" && Number.isFinite(v))) return v;
  throw new RoomError("BAD_FIELD", `"ref" must be a number or a string of at most ${MAX_REF} characters.`);
}

function withRef<E extends Error>(e: E, ref: string | number | undefined): E {
  if (ref !== undefined) (e as { ref?: string | number }).ref = ref;
  return e;
}
