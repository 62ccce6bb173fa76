// The one error type the tunnel layer throws. `message` already ends with the hint, so a caller that prints only
// `err.message` still tells the reader what to do; `hint` is there for callers that format the two apart.

type TunnelErrorCode = "NO_BINARY" | "DOWNLOAD_FAILED" | "NO_TOKEN" | "START_FAILED" | "TIMEOUT" | "EXITED" | "CANCELLED";

export class TunnelError extends Error {
  readonly code: TunnelErrorCode;
  readonly hint: string;

  constructor(code: TunnelErrorCode, what: string, hint: string) {
    super(`${what}\n${hint}`);
    this.name = "TunnelError";
    this.code = code;
    this.hint = hint;
  }
}

/** Appended to every hint: a tunnel failure must never read as if the room itself were down. */
export const ROOM_STILL_UP = "The room keeps running locally meanwhile (LAN and localhost URLs still work).";
