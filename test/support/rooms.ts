// Helpers for suites about many rooms and invite keys: host calls, room creation, fetch with any credential.
import type { TestRoom } from "./room.js";

export interface CreatedRoom {
  id: string;
  title: string;
  url: string;
  password: string | null;
  keysOnly: boolean;
}

/** fetch against the server with the host token (server-wide). */
export function asHost(server: TestRoom, path: string, init: RequestInit & { json?: unknown } = {}) {
  return call(server.url + path, `Bearer ${server.hostToken}`, init);
}

/** fetch with `Authorization: Bearer <secret>` (a token, an invite key, a password). */
export function withBearer(url: string, secret: string, init: RequestInit & { json?: unknown } = {}) {
  return call(url, `Bearer ${secret}`, init);
}

/** fetch with X-Room-Password. */
export function withPassword(url: string, password: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  headers.set("x-room-password", password);
  return call(url, undefined, { ...init, headers });
}

export async function createRoom(server: TestRoom, spec: { title?: string; password?: string; keysOnly?: boolean } = {}): Promise<CreatedRoom> {
  const r = await asHost(server, "/rooms", { method: "POST", json: { title: "room", ...spec } });
  if (r.status !== 201) throw new Error(`POST /rooms: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { room: CreatedRoom }).room;
}

export async function mintKey(server: TestRoom, roomId: string, spec: Record<string, unknown> = { label: "bot" }) {
  const r = await asHost(server, `/r/${roomId}/keys`, { method: "POST", json: spec });
  if (r.status !== 201) throw new Error(`POST keys: ${r.status} ${await r.text()}`);
  return (await r.json()) as { key: string; keyId: string; link: string; invite: string };
}

export const errorCode = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;

function call(url: string, authorization: string | undefined, init: RequestInit & { json?: unknown }) {
  const headers = new Headers(init.headers);
  if (authorization) headers.set("authorization", authorization);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return fetch(url, { ...init, headers, body });
}
