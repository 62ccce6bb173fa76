// Writing answers straight to the Node response: JSON bodies, text, and the one documented error shape.
import type { ServerResponse } from "node:http";
import { RoomError } from "../protocol/errors.js";

export const JSON_TYPE = "application/json; charset=utf-8";

export function send(res: ServerResponse, status: number, body: string | Buffer, type = JSON_TYPE, headers?: Record<string, string>): void {
  res.writeHead(status, { "content-type": type, "access-control-allow-origin": "*", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export const sendJson = (res: ServerResponse, status: number, obj: unknown) => send(res, status, JSON.stringify(obj));

/** Turn any failure into the documented JSON error; a bug answers INTERNAL and is logged for the host only. */
export function sendError(res: ServerResponse, err: unknown, where: string, log: (line: string) => void): void {
  if (res.headersSent) {
    // A stream had already started: nothing more can be said on it.
    if (!res.writableEnded) res.end();
    return;
  }
  const e = err instanceof RoomError ? err : new RoomError("INTERNAL", "Unexpected server error; the room is still running. Try again; if it repeats, tell the host.");
  if (!(err instanceof RoomError)) log(`internal error on ${where}: ${(err as Error)?.stack ?? err}`);
  const headers: Record<string, string> = {};
  if (e.retryAfter) headers["retry-after"] = String(e.retryAfter);
  // The unread rest of an oversized body would be parsed as the next request: close the connection instead.
  if (e.code === "BODY_TOO_LARGE") headers["connection"] = "close";
  send(res, e.status, JSON.stringify(e.toJSON()), JSON_TYPE, headers);
}
