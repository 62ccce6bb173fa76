// Failures of a request to the room, as the CLI reports them: an exit code (exit.ts) and one line that says what
// happened and what to do (README "Errors" lists the codes these map from).
import type { Conn } from "./http.js";
import { CliError, Exit } from "./exit.js";
import { cleanInline } from "./clean.js";
import { shq as shellWord } from "../protocol/invite.js";

/** No answer in time: the request may still be running on the server (a send must not be sent again on this). */
export class NoAnswerInTime extends CliError {}

/** fetch() says only "fetch failed"; the reason (refused, DNS, TLS, timeout) is in its cause. */
export function unreachable(url: string, err: unknown, timeoutMs: number): CliError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? "";
  let why: string;
  if (e.name === "TimeoutError" || e.name === "AbortError") why = `no answer within ${Math.round(timeoutMs / 1000)} s`;
  else if (code === "ECONNREFUSED") why = "connection refused";
  else if (code === "ENOTFOUND" || code === "EAI_AGAIN") why = "host not found";
  else if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") why = "connection dropped";
  else why = e.cause?.message ?? e.message ?? String(err);
  const Err = e.name === "TimeoutError" || e.name === "AbortError" ? NoAnswerInTime : CliError;
  return new Err(Exit.UNREACHABLE, `cannot reach ${url} (${why}): is the room still running? Check the URL in the invite.`, "UNREACHABLE", `cannot reach ${url} (${why})`);
}

export function notARoom(url: string, res: Response): CliError {
  return new CliError(
    Exit.UNREACHABLE,
    `${url} answered HTTP ${res.status} (${res.headers.get("content-type") ?? "no content type"}), not like an agent-chat room: check the URL in the invite.`,
    "NOT_A_ROOM",
  );
}

/** Map an error answer to an exit code and an actionable line (README "Errors"). */
export function httpError(conn: Conn, res: Response, raw: string): CliError {
  let code = "";
  let message = "";
  let suggestion: string | undefined;
  try {
    const e = (JSON.parse(raw) as { error?: { code?: string; message?: string; suggestion?: string } }).error;
    // All of it came from the server: one line each, nothing a terminal would act on (clean.ts).
    code = typeof e?.code === "string" && /^[A-Z_]{1,40}$/.test(e.code) ? e.code : "";
    message = cleanInline(e?.message ?? "", 400);
    suggestion = typeof e?.suggestion === "string" ? shellWord(cleanInline(e.suggestion, 60)) : undefined;
  } catch {
    /* not our JSON: a proxy or tunnel error page */
  }
  const url = conn.url;
  const retry = res.headers.get("retry-after");
  const inS = retry ? ` in ${retry} s` : " shortly";
  if (!code) {
    if (res.status >= 500 || res.status === 404) {
      return new CliError(Exit.UNREACHABLE, `${url} answered HTTP ${res.status} without a room error: the room or its tunnel is down or the URL is wrong; check the invite.`, "NOT_A_ROOM");
    }
    return notARoom(url, res);
  }
  switch (code) {
    case "UNAUTHORIZED":
      if (conn.hostToken) return new CliError(Exit.REJECTED, `host token rejected by ${url}: use the one printed by \`agent-chat serve\` on the host (--host-token).`, "HOST_TOKEN_REJECTED");
      if (conn.key && !conn.token) return new CliError(Exit.REJECTED, `${url} does not know this invite key (another room's, or mistyped): check the link.`, "KEY_REJECTED");
      if (conn.token) return new CliError(Exit.REJECTED, `your token was rejected by ${url} (the room may have restarted): run \`agent-chat join\` again.`, "TOKEN_REJECTED");
      return new CliError(Exit.REJECTED, `wrong password for ${url}: check the invite.`, "PASSWORD_REJECTED");
    case "HOST_ONLY":
      return new CliError(Exit.REJECTED, `only the host can do this in ${url}: pass the host token printed by \`agent-chat serve\` (--host-token), or run it on the host's machine.`, code);
    case "AUTH_RATE_LIMITED":
      return new CliError(Exit.RATE_LIMITED, `too many wrong passwords from this address for ${url}: retry${inS}, with the password from the invite.`, code);
    case "RATE_LIMITED":
      return new CliError(Exit.RATE_LIMITED, `${sentence(message)} Nothing was sent.`, code);
    case "PAUSED":
      return new CliError(Exit.RATE_LIMITED, `${sentence(message)} Nothing was sent.`, code);
    case "KEY_REQUIRED":
      return new CliError(Exit.REJECTED, `${url}: ${sentence(message)} Join with the invite link (agent-chat join '<url>/r/<id>#key=ak_…') or --key.`, code);
    case "KEY_EXPIRED":
    case "KEY_USED_UP":
      return new CliError(Exit.REJECTED, `${url}: ${sentence(message)}`, code);
    case "REVOKED":
    case "ROOM_CLOSED":
    case "REMOVED":
    case "NAME_BARRED":
      return new CliError(Exit.REMOVED, `${url}: ${sentence(message)} Stop using this room.`, code);
    case "UNREAD_WAITING":
      return new CliError(Exit.NOT_CAUGHT_UP, `${sentence(message)}`, code);
    case "NAME_TAKEN":
    case "NAME_HELD": // held by another agent's key (README "Known agents")
      return new CliError(Exit.USAGE, `${sentence(message)}${suggestion ? ` Join with --name ${suggestion}` : ""}`, code);
    case "TOO_MANY_CONNECTIONS":
    case "SHUTTING_DOWN":
    case "INTERNAL":
      return new CliError(Exit.UNREACHABLE, `${url}: ${sentence(message)} Retry${inS}.`, code);
    default:
      return new CliError(res.status >= 500 ? Exit.UNREACHABLE : Exit.USAGE, `${url}: ${message}`, code);
  }
}

// --- internal ---

const sentence = (s: string) => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
