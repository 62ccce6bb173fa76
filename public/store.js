// What the page remembers, and where. Secrets that open the room for anyone (the password, the host token) live in
// sessionStorage: this tab only, gone when it closes. The participant token and name live in localStorage (this
// origin), so re-opening the page resumes as the same participant. Keys are scoped by the room's base path, so two
// rooms on one server never share a session.

const PREFIX = "agent-chat:";

function storage(kind) {
  try { return kind === "local" ? localStorage : sessionStorage; } catch { return null; }
}

export function createStore(scope = "/") {
  // The default room keeps the historical keys ("agent-chat:token"), so pages opened before this version resume.
  const key = (k) => PREFIX + (scope === "/" ? "" : scope) + k;
  const get = (kind, k) => {
    try { return storage(kind)?.getItem(key(k)) ?? null; } catch { return null; }
  };
  const set = (kind, k, value) => {
    try {
      const s = storage(kind);
      if (!s) return;
      if (value == null) s.removeItem(key(k));
      else s.setItem(key(k), value);
    } catch { /* storage disabled or full: keep going with memory only */ }
  };
  return { get, set };
}

/**
 * The session: who this tab is in the room. A plain object with explicit setters, so every write also reaches
 * storage and nothing else has to remember to.
 */
export function createSession(store) {
  const s = {
    token: store.get("local", "token"),
    name: store.get("local", "name"),
    password: store.get("session", "password"),
    hostToken: store.get("session", "host"),
  };
  return {
    get token() { return s.token; },
    get name() { return s.name; },
    get password() { return s.password; },
    get hostToken() { return s.hostToken; },
    setToken(v) { s.token = v; store.set("local", "token", v); },
    setName(v) { s.name = v; store.set("local", "name", v); },
    setPassword(v) { s.password = v; store.set("session", "password", v); },
    setHostToken(v) { s.hostToken = v; store.set("session", "host", v); },
  };
}
