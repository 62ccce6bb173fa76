// The host's routes over the whole server (README "Rooms and keys"): list, create and close rooms; mint, list and
// revoke a room's invite keys. All need the server-wide host token.
import { RoomError } from "../protocol/errors.js";
import { inviteText, keyInviteText, keyLink } from "../protocol/invite.js";
import { checkName } from "../protocol/names.js";
import type { HostedRoom } from "../rooms/index.js";
import type { MintSpec } from "../rooms/keys.js";
import { readJsonObject } from "./http.js";
import { checkTitle } from "./room-host-routes.js";
import { hostOnly, type RouteDef, type RouteDeps } from "./routes.js";

/** Longest a key may live: a year, in seconds. */
const MAX_EXPIRES_IN = 365 * 24 * 3600;

export function hostRoutes(d: RouteDeps): RouteDef[] {
  const urlOf = (h: HostedRoom) => `${d.inviteUrl()}/r/${h.id}`;
  const host = (method: RouteDef["method"], path: string, where: RouteDef["where"], handler: RouteDef["handler"]): RouteDef => ({
    method,
    path,
    where,
    auth: true,
    handler: (c) => (hostOnly(c.caller), handler(c)),
  });

  return [
    host("GET", "/rooms", "server", ({ json }) => {
      const now = Date.now();
      const rooms = d.rooms.list().map((h) => {
        const people = h.room.participants.all();
        return {
          id: h.id,
          title: h.room.title,
          url: urlOf(h),
          default: h.isDefault,
          participants: people.length,
          online: people.filter((p) => h.room.participants.online(p, now)).length,
          messages: h.room.info({}).messageCount, // retained messages, private ones left out
          createdAt: h.createdAt,
          keysOnly: h.keysOnly,
          keys: h.keys.size,
          paused: h.room.paused,
        };
      });
      json(200, { rooms, limits: { maxRooms: d.rooms.options.maxRooms, maxMembers: d.rooms.options.maxMembers, maxKeys: d.rooms.options.maxKeys } });
    }),

    host("POST", "/rooms", "server", async ({ req, json }) => {
      const body = await readJsonObject(req, d.maxBodyBytes);
      const title = checkTitle(body.title ?? "agent-chat");
      if (body.password !== undefined && (typeof body.password !== "string" || !body.password.trim() || body.password.length > 200)) {
        throw new RoomError("BAD_FIELD", `"password" must be 1-200 characters (leave it out to get a generated one).`);
      }
      if (body.keysOnly !== undefined && typeof body.keysOnly !== "boolean") throw new RoomError("BAD_FIELD", `"keysOnly" must be true or false.`);
      const h = d.rooms.create({ title, password: body.password as string | undefined, keysOnly: body.keysOnly as boolean | undefined });
      const url = urlOf(h);
      json(201, {
        room: { id: h.id, title, url, password: h.keysOnly ? null : h.password, keysOnly: h.keysOnly, createdAt: h.createdAt },
        invite: h.keysOnly || h.password === null ? null : inviteText({ title, url, password: h.password }),
      });
    }),

    host("DELETE", "", "r", ({ json, hosted }) => {
      d.rooms.close(hosted.id);
      json(200, { ok: true, closed: hosted.id });
    }),

    host("POST", "/keys", "room", async ({ req, json, hosted }) => {
      const spec = mintSpec(await readJsonObject(req, d.maxBodyBytes));
      const { secret, key } = hosted.keys.mint(spec);
      await hosted.keys.shared?.minted(key); // serve --redis: usable through every instance once answered
      const url = `${d.inviteUrl()}/r/${hosted.id}`;
      json(201, {
        key: secret,
        keyId: key.keyId,
        link: keyLink(url, secret),
        invite: keyInviteText({ title: hosted.room.title, url, key: secret, name: key.name ?? undefined }),
        info: hosted.keys.list().find((k) => k.keyId === key.keyId),
      });
    }),

    host("GET", "/keys", "room", async ({ json, hosted }) => {
      await hosted.keys.shared?.refresh(); // serve --redis: keys minted and joins counted through other instances
      json(200, { keys: hosted.keys.list() });
    }),

    host("DELETE", "/keys/:keyId", "room", async ({ json, hosted, params }) => {
      // serve --redis: a key minted through another instance a moment ago may not have reached this one yet.
      if (!hosted.keys.get(params.keyId ?? "")) await hosted.keys.shared?.refresh();
      const key = hosted.keys.revoke(params.keyId ?? "");
      d.endKeySessions(hosted, key);
      await hosted.keys.shared?.revoked(key); // …and stored, so every instance refuses it, before the host hears back
      await hosted.room.flush();
      json(200, { ok: true, revoked: key.keyId });
    }),
  ];
}

const FINGERPRINT_RE = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;

function mintSpec(body: Record<string, unknown>): MintSpec {
  const label = body.label;
  if (typeof label !== "string" || !label.trim() || [...label].length > 80 || /\p{Cc}/u.test(label)) {
    throw new RoomError("BAD_FIELD", `"label" must be 1-80 characters without control characters, e.g. "reviewer bot".`);
  }
  const spec: MintSpec = { label: label.trim() };
  if (body.name !== undefined && body.name !== null) spec.name = checkName(body.name);
  if (body.kind !== undefined && body.kind !== null) {
    if (body.kind !== "agent" && body.kind !== "human") throw new RoomError("BAD_FIELD", `"kind" must be "agent" or "human".`);
    spec.kind = body.kind;
  }
  if (body.uses !== undefined && body.uses !== null) {
    if (!Number.isSafeInteger(body.uses) || (body.uses as number) < 1) throw new RoomError("BAD_FIELD", `"uses" must be a whole number ≥ 1 (joins allowed with the key).`);
    spec.uses = body.uses as number;
  }
  if (body.expiresIn !== undefined && body.expiresIn !== null) {
    const s = body.expiresIn;
    if (typeof s !== "number" || !Number.isFinite(s) || s <= 0 || s > MAX_EXPIRES_IN) {
      throw new RoomError("BAD_FIELD", `"expiresIn" must be a number of seconds from 1 to ${MAX_EXPIRES_IN}.`);
    }
    spec.expiresIn = s;
  }
  if (body.fingerprint !== undefined && body.fingerprint !== null) {
    // README "Known agents": the 4 groups `agent-chat id` prints.
    if (typeof body.fingerprint !== "string" || !FINGERPRINT_RE.test(body.fingerprint.trim().toLowerCase())) {
      throw new RoomError("BAD_FIELD", `"fingerprint" must be an agent key's fingerprint as \`agent-chat id\` prints it, e.g. "7kqm-2x9d-h3ta-8e1v".`);
    }
    spec.fingerprint = body.fingerprint.trim().toLowerCase();
  }
  return spec;
}
