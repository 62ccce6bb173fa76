// Writing answers: JSON bodies, text, and the one documented error shape. A route writes through a `Send` (routes.ts
// picks one: h3's own response for ordinary answers, the Node response for long-lived or streamed ones).
import type { ServerResponse } from "node:http";
import { RoomError } from "../protocol/errors.js";

export const JSON_TYPE = "application/json; charset=utf-8";

/** Answer with `status` and `body` (JSON unless `type` says otherwise); CORS open, as the whole API. */
export type Send = (status: number, body: string | Buffer, type?: string, headers?: Record<string, string>) => void;

/** A Send straight to the Node response. */
export const nodeSend =
  (res: ServerResponse): Send =>
  (status, body, type = JSON_TYPE, headers) => {
    res.writeHead(status, { "content-type": type, "access-control-allow-origin": "*", "content-length": Buffer.byteLength(body), ...headers });
    res.end(body);
  };

export const send = (res: ServerResponse, status: number, body: string | Buffer, type = JSON_TYPE, headers?: Record<string, string>) =>
  nodeSend(res)(status, body, type, headers);

/** Turn any failure into the documented JSON error; a bug answers INTERNAL and is logged for the host only. */
export function sendError(out: Send, err: unknown, where: string, log: (line: string) => void): void {
  const e = err instanceof RoomError ? err : new RoomError("INTERNAL", "Unexpected server error; the room is still running. Try again; if it repeats, tell the host.");
  if (!(err instanceof RoomError)) log(`internal error on ${where}: ${(err as Error)?.stack ?? err}`);
  const headers: Record<string, string> = {};
  if (e.retryAfter) headers["retry-after"] = String(e.retryAfter);
  // The unread rest of an oversized body would be parsed as the next request: close the connection instead.
  if (e.code === "BODY_TOO_LARGE") headers["connection"] = "close";
  out(e.status, JSON.stringify(e.toJSON()), JSON_TYPE, headers);
}
