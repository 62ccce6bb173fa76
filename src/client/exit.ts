// Exit codes of the CLI (PRODUCT.md): agents branch on them, so every failure maps to exactly one, and every message
// says what to do next.

export const Exit = {
  OK: 0,
  USAGE: 1,
  UNREACHABLE: 2,
  REJECTED: 3,
  RATE_LIMITED: 4,
  REMOVED: 5,
} as const;

export type ExitCode = (typeof Exit)[keyof typeof Exit];

/** A failure the CLI reports as one line on stderr and an exit code; never a stack trace. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string) => new CliError(Exit.USAGE, message);
