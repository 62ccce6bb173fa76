// Many rooms on one server: the registry every transport resolves a room through.
//
// How a transport (HTTP routes, SSE, long-poll, WebSocket…) uses it:
//   const hosted = rooms.resolve(id)   id undefined or "": the default room (the one `serve` started with, answered
//                                      at the root paths and at /r/<its id>); throws RoomError ROOM_NOT_FOUND (404)
//                                      for an unknown id and ROOM_CLOSED (410) for a closed one.
//   hosted.room                        the room model (src/room): post, join, subscribe(listener), onRemove(...)
//   hosted.onClose(fn)                 the host closed the room: end your connections with a "closed" signal
//   rooms.onCreate(fn)                 attach per-room state (hubs) to every room, the default one included
//   visibleTo(message, name)           (src/room/visibility.ts) who may see a message: apply it to every delivery
// Authentication is the server's (src/server/auth.ts: auth.authenticate(req, query, hosted) → Caller).
import { hash, randomBytes } from "node:crypto";
import { RoomError } from "../protocol/errors.js";
import { defaultRoomOptions, type RoomOptions } from "../protocol/types.js";
import { createRoom, type MessageLog, type Room } from "../room/index.js";
import type { SignatureVerifier } from "../room/verdict.js";
import { createKeys, type Keys } from "./keys.js";
import { ROOM_ID } from "../protocol/rooms.js";

interface RoomsOptions extends RoomOptions {
  /** The default room's password. */
  password: string;
  /** Rooms on this server, the default room included. @default 100 */
  maxRooms: number;
  /** Participants per room (joined names and password-only senders). @default 1000 */
  maxMembers: number;
  /** Invite keys per room, revoked ones included. @default 200 */
  maxKeys: number;
  /** A password for a room created without one. */
  newPassword: () => string;
  /** The default room's id (instances sharing a Redis share it). @default a new random id */
  defaultId?: string;
  /** Where a room keeps its messages (serve --redis: src/rooms/redis/); none: in memory. */
  logs?: (roomId: string) => MessageLog;
  /** Checks message signatures off the main thread (server/verify-pool.ts), for every room; none: inline. */
  verifier?: SignatureVerifier;
}

export const defaultRoomsLimits = { maxRooms: 100, maxMembers: 1000, maxKeys: 200 };

export interface HostedRoom {
  /** Random, 10 lowercase letters and digits. */
  readonly id: string;
  readonly room: Room;
  /** The room `serve` started with: also answers at the root paths, and cannot be closed. */
  readonly isDefault: boolean;
  readonly createdAt: string;
  /** The password is refused; only invite keys (and the host token) get in. */
  readonly keysOnly: boolean;
  /** null for a keys-only room created without a password. */
  readonly password: string | null;
  /** SHA-256 of the password, for a constant-time compare. */
  readonly passwordHash: Buffer | null;
  /** The host rotated the password (POST …/host/password): tokens, keys and sessions are not affected. */
  setPassword(next: string): void;
  readonly keys: Keys;
  readonly closed: boolean;
  /** Called once when the host closes the room. */
  onClose(fn: () => void): () => void;
}

interface NewRoom {
  title: string;
  password?: string;
  keysOnly?: boolean;
}

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
/** 10 characters of 36: ~52 bits, enough that ids are not guessable in practice (they are not secrets: auth is). */
export function newRoomId(): string {
  const bytes = randomBytes(10);
  let s = "";
  for (const b of bytes) s += ID_ALPHABET[b % 36]; // 256 % 36 bias is irrelevant for an identifier
  return s;
}

/** Closed ids remembered for 410 answers; older ones fall back to 404. */
const CLOSED_MEMORY = 10_000;

export function createRooms(partial: Partial<RoomsOptions> & { password: string; newPassword: () => string }) {
  const o: RoomsOptions = { ...defaultRoomOptions, ...defaultRoomsLimits, ...partial };
  const now = o.now ?? Date.now;
  const live = new Map<string, HostedRoom>();
  const closedIds = new Set<string>();
  const createHooks = new Set<(h: HostedRoom) => void>();

  function make(spec: NewRoom, isDefault: boolean, sharedId?: string): HostedRoom {
    let id = sharedId ?? (isDefault && o.defaultId ? o.defaultId : newRoomId());
    while (live.has(id) || closedIds.has(id)) id = newRoomId();
    const closeHooks = new Set<() => void>();
    let password = spec.password ?? (spec.keysOnly ? null : o.newPassword());
    let passwordHash = password === null ? null : hash("sha256", password, "buffer");
    let closed = false;
    const hosted: HostedRoom = {
      id,
      // The members cap is the room's own (src/room/participants.ts), which lets the expired and long-gone go first.
      room: createRoom({ ...o, title: spec.title, maxParticipants: o.maxMembers, id }, o.logs?.(id)), // id: what signatures are bound to (README "Known agents")
      isDefault,
      createdAt: new Date(now()).toISOString(),
      keysOnly: !!spec.keysOnly,
      get password() {
        return password;
      },
      get passwordHash() {
        return passwordHash;
      },
      setPassword(next: string) {
        password = next;
        passwordHash = hash("sha256", next, "buffer");
      },
      keys: createKeys({ max: o.maxKeys, now }),
      get closed() {
        return closed;
      },
      onClose(fn) {
        closeHooks.add(fn);
        return () => void closeHooks.delete(fn);
      },
    };
    // Internal: only the registry closes a room.
    closers.set(hosted, () => {
      closed = true;
      for (const fn of closeHooks) fn();
      closeHooks.clear();
    });
    live.set(id, hosted);
    for (const fn of createHooks) fn(hosted);
    return hosted;
  }
  const closers = new WeakMap<HostedRoom, () => void>();

  const defaultRoom = make({ title: o.title, password: o.password }, true);

  return {
    options: o,
    /** The room `serve` started with. */
    default: defaultRoom,
    get size() {
      return live.size;
    },
    /** Open rooms, oldest first (the default room first). */
    list(): HostedRoom[] {
      return [...live.values()];
    },
    /** The room with this id (undefined or "": the default room); 404 ROOM_NOT_FOUND, or 410 ROOM_CLOSED. */
    resolve(id?: string): HostedRoom {
      if (!id) return defaultRoom;
      const h = live.get(id);
      if (h) return h;
      if (closedIds.has(id)) throw new RoomError("ROOM_CLOSED", "The host closed this room; it is gone for good. Ask the host for a new invite.");
      throw new RoomError("ROOM_NOT_FOUND", `No room "${id.slice(0, 40)}" on this server: check the URL in the invite (it may have been closed long ago).`);
    },
    create(spec: NewRoom): HostedRoom {
      if (live.size >= o.maxRooms) {
        throw new RoomError("TOO_MANY_ROOMS", `This server already has ${live.size} rooms (the limit, --max-rooms ${o.maxRooms}); close one first.`);
      }
      return make(spec, false);
    },
    /** serve --redis: a room another instance created, known here from now on (undefined if closed here). */
    adopt(id: string, spec: NewRoom): HostedRoom | undefined {
      const known = live.get(id);
      if (known || closedIds.has(id) || !ROOM_ID.test(id)) return known;
      return make(spec, false, id);
    },
    /** Is this id open here? (no 404 thrown) */
    has(id: string): boolean {
      return live.has(id);
    },
    /** Close a room for good: its transports end their connections, later requests get 410 ROOM_CLOSED. */
    close(id: string): HostedRoom {
      const h = this.resolve(id);
      if (h.isDefault) throw new RoomError("DEFAULT_ROOM", "The room the server started with cannot be closed; stop the server instead (agent-chat stop).");
      live.delete(id);
      if (closedIds.size >= CLOSED_MEMORY) closedIds.delete(closedIds.values().next().value as string);
      closedIds.add(id);
      closers.get(h)!();
      return h;
    },
    /** Run `fn` for every room now open and every room created later. */
    onCreate(fn: (h: HostedRoom) => void): () => void {
      for (const h of live.values()) fn(h);
      createHooks.add(fn);
      return () => void createHooks.delete(fn);
    },
    /** The members cap: throws ROOM_FULL when `name` would be a new participant of a full room. */
    checkRoomFor(h: HostedRoom, name: string) {
      h.room.participants.admit(name);
    },
  };
}

export type Rooms = ReturnType<typeof createRooms>;
