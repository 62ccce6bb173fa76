// Every error a client can see, in one place: HTTP status, stable code, and a message that says what to do.

export const errorStatus = {
  BAD_JSON: 400,
  BAD_FIELD: 400,
  EMPTY_TEXT: 400,
  BAD_TEXT: 400,
  BAD_NAME: 400,
  BAD_QUERY: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  REMOVED: 403,
  NAME_BARRED: 403,
  NAME_MISMATCH: 403,
  BAD_PROOF: 403,
  BAD_SIGNATURE: 403,
  SIGNATURE_REQUIRED: 403,
  IDENTITY_REQUIRED: 403,
  HOST_ONLY: 403,
  ORIGIN_REFUSED: 403,
  // Many rooms, keys, private messages (README "Rooms and keys").
  KEY_REQUIRED: 401,
  REVOKED: 403,
  KEY_EXPIRED: 403,
  KEY_USED_UP: 403,
  TOKEN_REQUIRED: 403,
  UNKNOWN_RECIPIENT: 404,
  ROOM_NOT_FOUND: 404,
  DEFAULT_ROOM: 409,
  TOO_MANY_ROOMS: 409,
  ROOM_FULL: 409,
  TOO_MANY_KEYS: 409,
  ROOM_CLOSED: 410,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  NAME_TAKEN: 409,
  UNREAD_WAITING: 409,
  LINK_USED: 410,
  NAME_HELD: 409,
  REPLAYED: 409,
  TEXT_TOO_LARGE: 413,
  BODY_TOO_LARGE: 413,
  PAUSED: 423,
  RATE_LIMITED: 429,
  AUTH_RATE_LIMITED: 429,
  INTERNAL: 500,
  TOO_MANY_CONNECTIONS: 503,
  SHUTTING_DOWN: 503,
  // The shared store (serve --redis) did not answer: retry; nothing half-done was kept (README "Running it for an organisation").
  STORE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class RoomError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds, sent as Retry-After. */
  readonly retryAfter?: number;
  /** Extra fields merged into the error object (e.g. `suggestion`). */
  readonly extra?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: { retryAfter?: number; extra?: Record<string, unknown> } = {}) {
    super(message);
    this.code = code;
    this.status = errorStatus[code];
    this.retryAfter = opts.retryAfter;
    this.extra = opts.extra;
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}
