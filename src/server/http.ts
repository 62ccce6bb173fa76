// Small HTTP helpers shared by the routes: reading bounded JSON bodies, query numbers, and the one place a
// history slice is turned into the `{messages, next}` body.
import type { IncomingMessage, ServerResponse } from "node:http";
import { RoomError } from "../protocol/errors.js";
import type { Slice } from "../room/history.js";

/**
 * `{"messages":[…],"cursor":N,"next":N}` built from already-serialised messages: no JSON.stringify per read.
 * `cursor` is the id to pass as `after=` next time; `next` is the same value under its first name (kept for clients).
 */
export function sliceBody(s: Slice): string {
  return `{"messages":[${s.items.join(",")}],${tail(s)}}`;
}

const tail = (s: Slice) => `"cursor":${s.next},"next":${s.next}${s.reset ? ',"reset":true' : ""}${s.more ? ',"more":true' : ""}`;

/** Answers up to this size go out in one piece; larger ones are streamed as the client reads. */
export const STREAM_OVER = 64 * 1024;

export function sliceSize(s: Slice): number {
  let n = 0;
  for (const j of s.items) n += j.length;
  return n;
}

/**
 * Write a large `{messages, next}` answer piece by piece, never building it whole: a client that reads slowly
 * (or never) holds about STREAM_OVER bytes here, not the whole history. The items are the history's own strings.
 * Resolves when the response is done or the client went away.
 */
export function streamSlice(res: ServerResponse, s: Slice, headers: Record<string, string>): Promise<void> {
  res.writeHead(200, headers);
  res.write('{"messages":[');
  let i = 0;
  const pump = () => {
    while (i < s.items.length) {
      let chunk = "";
      while (i < s.items.length && chunk.length < STREAM_OVER) chunk += (i ? "," : "") + s.items[i++];
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end(`],${tail(s)}}`);
  };
  pump();
  return new Promise((resolve) => res.once("close", resolve));
}

/** Read a JSON object body of at most `limit` bytes straight off the Node request (h3's web-stream path is ~2x slower). */
export function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        // Stop buffering; the rest is discarded as it arrives and the connection is closed after the answer.
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on("error", () => {
      if (!failed) (failed = true), reject(new RoomError("BAD_JSON", "The request body was cut off; send it again."));
    });
    req.on("end", () => {
      if (failed) return;
      let data: unknown;
      try {
        data = JSON.parse(Buffer.concat(chunks, size).toString("utf8"));
      } catch {
        return reject(new RoomError("BAD_JSON", 'The body is not valid JSON; send e.g. {"agent":"alice","text":"hi"} with Content-Type: application/json.'));
      }
      if (!data || typeof data !== "object" || Array.isArray(data)) {
        return reject(new RoomError("BAD_JSON", 'The body must be a JSON object, e.g. {"agent":"alice","text":"hi"}.'));
      }
      resolve(data as Record<string, unknown>);
    });
  });
}

const tooLarge = (limit: number) => new RoomError("BODY_TOO_LARGE", `The request body is over ${limit} bytes; send a shorter message.`);

/** A non-negative integer query/header value, or undefined when absent; anything else is a BAD_QUERY. */
export function intParam(value: string | null | undefined, name: string): number | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new RoomError("BAD_QUERY", `"${name}" must be a whole number ≥ 0 (got "${value.slice(0, 40)}").`);
  return Number(value);
}

/** Which client a request comes from, for failed-auth limits. Behind a tunnel every request arrives from loopback,
 * so the tunnel's own header is trusted then — only then, so nobody else can pick an address by sending a header. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const remote = req.socket.remoteAddress ?? "unknown";
  if (!trustProxy || !isLoopback(remote)) return remote;
  const cf = req.headers["cf-connecting-ip"];
  if (typeof cf === "string" && cf) return cf.trim();
  const xff = req.headers["x-forwarded-for"];
  if (typeof xff === "string" && xff) return xff.split(",").pop()!.trim(); // the hop the proxy itself added
  return remote;
}

const isLoopback = (a: string) => a === "::1" || a.startsWith("127.") || a.startsWith("::ffff:127.");
