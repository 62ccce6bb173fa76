// The secret in the link's fragment (#password=…, #host=…, #key=…): taken into this tab's session and out of the
// address bar at once (and so out of screenshots and shared screens).
export async function readLink({ session }) {
  const hash = location.hash.replace(/^#/, "");
  if (!hash) return;
  for (const part of hash.split("&")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    let value;
    try { value = decodeURIComponent(part.slice(i + 1)); } catch { continue; }
    const key = part.slice(0, i);
    if (!value) continue;
    if (key === "password") session.setPassword(value);
    else if (key === "host") session.setHostToken(value);
    else if (key === "key") session.setPassword(value); // an invite key is a credential by itself (rooms)
  }
  history.replaceState(null, "", location.pathname + location.search);
}
