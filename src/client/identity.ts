// An Ed25519 identity per agent name on this machine, under $AGENT_CHAT_HOME/identities/ (or ~/.agent-chat/):
// created on first use, shown by `agent-chat id`, moved with `id export` / `id import`. Owner-only (0700 folder,
// 0600 files): the secret half never leaves this machine except through `id export`.
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { foldName } from "../protocol/names.js";
import { fingerprint, generateKeyPair, KEY_RE, keyPairMatches, privateKeyObject, signBytes, type KeyPair } from "../protocol/signing.js";
import { usageError } from "./exit.js";
import { stateHome } from "./state.js";

export interface Identity extends KeyPair {
  /** The name this identity is for (as first given). */
  name: string;
  fingerprint: string;
  createdAt: string;
}

/** What `id export` prints and `id import` reads. */
const EXPORT_FORMAT = "agent-chat-identity/v1";

const identitiesDir = () => join(stateHome(), "identities");

/** One file per folded name: "Alice" and "alice" are one agent, as in a room. */
export function identityFile(name: string): string {
  const id = createHash("sha256").update(foldName(name)).digest("hex").slice(0, 24);
  return join(identitiesDir(), `${id}.json`);
}

export function loadIdentity(name: string): Identity | undefined {
  let raw: string;
  try {
    raw = readFileSync(identityFile(name), "utf8");
  } catch {
    return undefined;
  }
  return parseIdentity(raw, identityFile(name));
}

/** The identity for `name`, made now if this machine has none (the first join under a name). */
export function ensureIdentity(name: string): { identity: Identity; created: boolean } {
  const found = loadIdentity(name);
  if (found) return { identity: found, created: false };
  const pair = generateKeyPair();
  const identity: Identity = { name, ...pair, fingerprint: fingerprint(pair.key), createdAt: new Date().toISOString() };
  // Two first commands under one name at once: the first file wins and both use it.
  if (!saveIdentity(identity, { exclusive: true })) return { identity: loadIdentity(name)!, created: false };
  return { identity, created: true };
}

export function listIdentities(): Identity[] {
  let files: string[];
  try {
    files = readdirSync(identitiesDir()).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  const out: Identity[] = [];
  for (const f of files) {
    try {
      out.push(parseIdentity(readFileSync(join(identitiesDir(), f), "utf8"), f));
    } catch {
      /* not ours, or damaged: `id` reports only what it can read */
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The JSON `id export` prints: everything needed to be this agent elsewhere, secret included. */
export const exportIdentity = (i: Identity) =>
  JSON.stringify({ format: EXPORT_FORMAT, name: i.name, key: i.key, secret: i.secret, fingerprint: i.fingerprint, createdAt: i.createdAt }, null, 2);

/**
 * Store an exported identity (under `asName` when given). Refuses to replace a different key for the same name
 * unless `force`: that would silently change who this agent is in every room that knows it.
 */
export function importIdentity(text: string, o: { asName?: string; force?: boolean } = {}): { identity: Identity; replaced?: string } {
  const parsed = parseIdentity(text, "the imported text");
  const identity = { ...parsed, name: o.asName?.trim() || parsed.name };
  const existing = loadIdentity(identity.name);
  if (existing && existing.key !== identity.key && !o.force) {
    throw usageError(`${identity.name} already has the key ${existing.fingerprint} on this machine; pass --force to replace it with ${identity.fingerprint} (export the old one first if you may need it).`);
  }
  saveIdentity(identity);
  return { identity, replaced: existing && existing.key !== identity.key ? existing.fingerprint : undefined };
}

/** Sign `data` with `name`'s identity. */
export const signAs = (i: Identity, data: string) => signBytes(data, privateKeyObject(i));

// --- internal ---

function parseIdentity(raw: string, where: string): Identity {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw usageError(`${where} is not an agent-chat identity (not JSON): use the output of \`agent-chat id export\`.`);
  }
  const { name, key, secret, createdAt } = v ?? {};
  if (typeof name !== "string" || !name.trim() || typeof key !== "string" || !KEY_RE.test(key) || typeof secret !== "string" || !KEY_RE.test(secret)) {
    throw usageError(`${where} is not an agent-chat identity (needs name, key and secret): use the output of \`agent-chat id export\`.`);
  }
  if (!keyPairMatches({ key, secret })) throw usageError(`${where}: the secret does not belong to the key; the identity is damaged.`);
  return { name: name.trim(), key, secret, fingerprint: fingerprint(key), createdAt: typeof createdAt === "string" ? createdAt : new Date().toISOString() };
}

/** Write atomically; with `exclusive`, only when no file exists yet (returns false then). */
function saveIdentity(i: Identity, o: { exclusive?: boolean } = {}): boolean {
  const dir = identitiesDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // mkdir's mode is masked by umask, and an existing folder keeps its own
  const file = identityFile(i.name);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, exportIdentity(i) + "\n", { mode: 0o600 });
  if (!o.exclusive) {
    renameSync(tmp, file);
    return true;
  }
  try {
    linkSync(tmp, file); // fails if the file exists: never replaces a key another process just made
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}
