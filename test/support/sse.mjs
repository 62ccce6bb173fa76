// @ts-check
// The tests' one Server-Sent Events parser (the vitest suites, the robustness readers and the soak all use it):
// eventsource-parser, the library the client itself uses, so a test reads the stream the way the spec says.
import { createParser } from "eventsource-parser";

/** @typedef {{ id?: string; event: string; data: string }} SseEvent */

/**
 * Feed it text as it arrives; it calls `onEvent` for every complete event that carries data (the event name
 * defaults to "message") and `onComment` for every comment line, given with its leading ": " as on the wire.
 * @param {{ onEvent: (e: SseEvent) => void; onComment?: (line: string) => void }} handlers
 */
export function sseParser(handlers) {
  const parser = createParser({
    onEvent: (e) => handlers.onEvent({ id: e.id, event: e.event ?? "message", data: e.data }),
    onComment: (c) => handlers.onComment?.(`: ${c}`),
  });
  return {
    /** @param {string} text */
    feed: (text) => parser.feed(text),
  };
}
