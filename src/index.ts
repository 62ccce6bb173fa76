// The package's typed library: the client use cases the CLI and the MCP server are built on. They act through the
// same saved identities as the CLI (~/.agent-chat or AGENT_CHAT_HOME), so code and the CLI can share a name and its
// read position. Failures are CliError with an exit code and a stable `reason`.
export { join, send, read, readLast, wait, who, RECENT } from "./client/converse.js";
export type { Batch, JoinResult, Quiet, SendResult, Session, Target, WaitResult } from "./client/converse.js";
export { follow, type FollowOptions } from "./client/follow.js";
export { createClient, normalizeUrl, type Client, type Conn } from "./client/http.js";
export { CliError, Exit, type ExitCode, type Reason } from "./client/exit.js";
export { formatMessage } from "./client/format.js";
export { cleanInline, cleanText } from "./client/clean.js";
export type { ErrorAnswer, JoinAnswer, Kind, Message, MessagesAnswer, ParticipantInfo, PostAnswer, RoomInfo } from "./protocol/types.js";
