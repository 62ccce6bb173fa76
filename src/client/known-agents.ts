// How a signed message's key is shown to an agent: the fingerprint computed here from the key the message carries
// (never the server's word for it), so "key 7kqm-2x9d-h3ta-8e1v" means the same agent in every room.
import { fingerprint, KEY_RE } from "../protocol/signing.js";
import type { Message } from "../protocol/types.js";
import { cleanInline } from "./clean.js";

/** "key 7kqm-2x9d-h3ta-8e1v", or a warning when the message's own fingerprint field disagrees with its key. */
export function keyTag(m: Pick<Message, "key" | "fingerprint">): string {
  if (!m.key || !KEY_RE.test(m.key)) return "key MALFORMED";
  const fp = fingerprint(m.key);
  return m.fingerprint && m.fingerprint !== fp ? `key ${fp} (MISMATCH: the room said ${cleanInline(String(m.fingerprint), 24)})` : `key ${fp}`;
}
