// Exit codes of the CLI (PRODUCT.md): agents branch on them, so every failure maps to exactly one, and every message
// says what to do next. Code inside the program branches on the reason (a stable word), never on the message text.

export const Exit = {
  OK: 0,
  USAGE: 1,
  UNREACHABLE: 2,
  REJECTED: 3,
  RATE_LIMITED: 4,
  REMOVED: 5,
  /** `send --if-caught-up` did not post: messages from others were waiting unread (now shown). */
  NOT_CAUGHT_UP: 6,
  /** A bug in agent-chat, not in what the caller did (sysexits' EX_SOFTWARE). */
  INTERNAL: 70,
} as const;

export type ExitCode = (typeof Exit)[keyof typeof Exit];

/**
 * Why a command failed, finer than the exit code: `NOT_JOINED` and `NAME_TAKEN` are both exit 1, but an MCP tool or a
 * retry loop treats them differently. Server error codes (protocol/errors.ts) pass through as they are.
 */
export type Reason =
  | "USAGE"
  | "NOT_JOINED"
  | "NAME_HELD"
  | "UNREACHABLE"
  | "NOT_A_ROOM"
  | "REJECTED"
  | "TOKEN_REJECTED"
  | "RATE_LIMITED"
  | "REMOVED"
  | "NOT_CAUGHT_UP"
  | "INTERNAL"
  | (string & {});

const DEFAULT_REASON: Record<ExitCode, Reason> = {
  0: "OK",
  1: "USAGE",
  2: "UNREACHABLE",
  3: "REJECTED",
  4: "RATE_LIMITED",
  5: "REMOVED",
  6: "NOT_CAUGHT_UP",
  70: "INTERNAL",
};

/** A failure the CLI reports as one line on stderr and an exit code; never a stack trace. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly reason: Reason;
  /** The short cause without the advice ("connection refused"), for status lines that add their own. */
  readonly detail?: string;
  constructor(exitCode: ExitCode, message: string, reason?: Reason, detail?: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.reason = reason ?? DEFAULT_REASON[exitCode];
    this.detail = detail;
  }
}

export const usageError = (message: string, reason: Reason = "USAGE") => new CliError(Exit.USAGE, message, reason);

export const isReason = (err: unknown, ...reasons: Reason[]): err is CliError => err instanceof CliError && reasons.includes(err.reason);
