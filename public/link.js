// The secret in the link's fragment, taken out of the address bar before anything else happens (so it is not in
// screenshots or shared screens), then into this tab's session:
//   #code=acl_…      a one-time link code (host link, person link): traded once with POST session for the credential
//                    it stands for, so the link left in the browser's history opens nothing any more;
//   #password=…      the room password (older links, the QR code), #key=ak_… an invite key, #host=ach_… the host token.
import { ApiError } from "./api.js";

/** Read the link. Returns a sentence for the join card when the link could not be used, else "". */
export async function readLink({ session, api }) {
  const hash = location.hash.replace(/^#/, "");
  if (!hash) return "";
  const found = {};
  for (const part of hash.split("&")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    try { found[part.slice(0, i)] = decodeURIComponent(part.slice(i + 1)); } catch { /* a broken part: ignored */ }
  }
  history.replaceState(null, "", location.pathname + location.search);
  if (found.password) session.setPassword(found.password);
  if (found.key) session.setPassword(found.key); // an invite key is a credential by itself
  if (found.host) session.setHostToken(found.host);
  if (!found.code) return "";
  try {
    const r = await api("session", { method: "POST", body: { code: found.code }, token: null });
    if (r.kind === "host" && r.hostToken) session.setHostToken(r.hostToken);
    else if (r.token) session.setPassword(r.token);
    return "";
  } catch (e) {
    if (e instanceof ApiError) return `${e.message}`;
    return "The room did not answer, so the link could not be opened. Check your connection and open the link again.";
  }
}
