// The host's controls of one room (README "HTTP API"): remove and let back in, password rotation, host and human
// links (and the page's redemption of their codes), pause and resume, title. Room routes like the others
// (room-routes.ts): served for the default room at the root and for every room under /r/<id>; each answers the host
// only once its system line is stored (serve --redis: flush).
import { RoomError } from "../protocol/errors.js";
import { checkName } from "../protocol/names.js";
import type { HostedRoom } from "../rooms/index.js";
import { generatePassword } from "../host/password.js";
import { readJsonObject } from "./http.js";
import { JSON_TYPE } from "./reply.js";
import { hostOnly, type RouteDef, type RouteDeps } from "./routes.js";

/** room-routes.ts's builder of a room route (auth: true, where: "room", unless `extra` says otherwise). */
export type RoomRoute = (method: RouteDef["method"], path: string, handler: RouteDef["handler"], extra?: Partial<RouteDef>) => RouteDef;

/** A link code's life when the host does not say (a day: the host may open its link later). */
const LINK_TTL_S = 86_400;

/** A new password for the room (generated, or the host's), announced without the password; the saved host record
 * of `serve` follows through RouteDeps.onPasswordChange. */
function rotate(d: RouteDeps, hosted: HostedRoom, given?: string): string {
  const next = given?.trim() || generatePassword();
  hosted.setPassword(next);
  hosted.room.passwordChanged(next);
  d.onPasswordChange?.(hosted, next);
  return next;
}

/** A room title: 1-80 characters without control characters. */
export function checkTitle(v: unknown): string {
  if (typeof v !== "string" || !v.trim() || [...v].length > 80 || /\p{Cc}/u.test(v)) {
    throw new RoomError("BAD_FIELD", `"title" must be 1-80 characters without control characters.`);
  }
  return v.trim();
}

export function roomHostRoutes(d: RouteDeps, route: RoomRoute): RouteDef[] {
  const rotatePassword = (hosted: HostedRoom, given?: string) => rotate(d, hosted, given);
  return [
    route("POST", "/host/kick", async ({ req, json, hosted, caller }) => {
      hostOnly(caller);
      const body = await readJsonObject(req, d.maxBodyBytes);
      const removed = hosted.room.remove(checkName(body.name));
      // Optionally shut the door behind them too: a removed password holder still knows the password.
      const password = body.rotatePassword === true ? rotatePassword(hosted) : undefined;
      await hosted.room.flush(); // serve --redis: the room's "removed" line is stored before the host hears back
      json(200, { ok: true, removed: removed?.name ?? null, ...(password ? { password } : {}) });
    }),
    route("POST", "/host/unban", async ({ req, json, hosted, caller }) => {
      hostOnly(caller);
      const body = await readJsonObject(req, d.maxBodyBytes);
      const was = hosted.room.unban(checkName(body.name));
      await hosted.room.flush(); // serve --redis: the "let back in" line is stored before the host hears back
      json(200, { ok: true, unbanned: was ?? null });
    }),
    route("POST", "/host/password", async ({ req, json, hosted, caller }) => {
      hostOnly(caller);
      const body = await readJsonObject(req, d.maxBodyBytes);
      const given = body.password;
      if (given !== undefined && (typeof given !== "string" || given.trim().length < 8 || given.length > 200 || /\p{Cc}/u.test(given))) {
        throw new RoomError("BAD_FIELD", `"password" must be 8-200 characters without control characters (or leave it out for a generated one).`);
      }
      if (hosted.keysOnly) throw new RoomError("BAD_FIELD", "This room takes invite keys only: it has no password to change.");
      const password = rotatePassword(hosted, given as string | undefined);
      await hosted.room.flush(); // serve --redis: stored (and published to every instance) before the host hears back
      json(200, { ok: true, password, unaffected: "participant tokens, invite keys, human sessions and the host token" });
    }),
    route("POST", "/host/links", async ({ req, json, hosted, caller, base }) => {
      hostOnly(caller);
      const body = await readJsonObject(req, d.maxBodyBytes);
      const kind = body.kind ?? "host";
      if (kind !== "host" && kind !== "human") throw new RoomError("BAD_FIELD", `"kind" must be "host" or "human".`);
      const uses = body.uses ?? 1;
      const ttl = body.ttlSeconds ?? LINK_TTL_S;
      if (!Number.isInteger(uses) || (uses as number) < 1 || (uses as number) > 100 || (kind === "host" && uses !== 1)) {
        throw new RoomError("BAD_FIELD", `"uses" must be 1-100 (a host link opens once).`);
      }
      if (!Number.isInteger(ttl) || (ttl as number) < 1 || (ttl as number) > 7 * 86_400) throw new RoomError("BAD_FIELD", `"ttlSeconds" must be 1-604800.`);
      const { code, expiresAt } = d.auth.mintLink(hosted, kind, (ttl as number) * 1000, uses as number);
      json(201, { ok: true, kind, code, uses, expiresAt: new Date(expiresAt).toISOString(), link: `${d.inviteUrl()}${base}/#code=${code}` });
    }),
    // No credential but the code itself: the page of a host or human link trades the code for its credential, once.
    route("POST", "/session", async ({ req, send }) => {
      const body = await readJsonObject(req, d.maxBodyBytes);
      send(200, JSON.stringify({ ok: true, ...(await d.auth.redeem(req, body.code)) }), JSON_TYPE, { "cache-control": "no-store" });
    }, { auth: false }),
    // serve --redis: each host action's system line is stored (flush) before the host hears back, as for a post.
    route("POST", "/host/pause", async ({ json, hosted, caller }) => (hostOnly(caller), hosted.room.pause(), await hosted.room.flush(), json(200, { ok: true, paused: hosted.room.paused }))),
    route("POST", "/host/resume", async ({ json, hosted, caller }) => (hostOnly(caller), hosted.room.resume(), await hosted.room.flush(), json(200, { ok: true, paused: hosted.room.paused }))),
    route("POST", "/host/title", async ({ req, json, hosted, caller }) => {
      hostOnly(caller);
      const body = await readJsonObject(req, d.maxBodyBytes);
      hosted.room.setTitle(checkTitle(body.title));
      await hosted.room.flush();
      json(200, { ok: true, title: hosted.room.title });
    }),
  ];
}
