// The room's HTTP API as seen from the page: one function, two error classes. Every call goes to this page's own
// origin (relative URLs under the room's base path; the Content-Security-Policy allows nothing else).

export class ApiError extends Error {
  /** The server answered with an error: `status` and the stable `code` from the project's error table. */
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/** No answer at all (network down, room gone, proxy refused). */
export class NetError extends Error {}

/**
 * The room's base path: "/" for the default room, "/r/<id>/" for another room — also when the page was opened as
 * "/r/<id>" without the trailing slash, where relative URLs would otherwise resolve one level too high.
 */
export function roomBase(pathname) {
  const m = /^(\/r\/[^/]+)(\/|$)/.exec(pathname);
  if (m) return m[1] + "/";
  return pathname.replace(/[^/]*$/, "") || "/";
}

/**
 * Make the page's API caller. `auth()` returns the credential to send by default (the participant token).
 * Throws ApiError (the server said no) or NetError (no answer, or a proxy's own 5xx); an aborted call rethrows the AbortError.
 */
export function createApi({ base = "/", auth = () => null } = {}) {
  return async function api(path, { method = "GET", body, token = auth(), signal, as = "json" } = {}) {
    const headers = {};
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      throw new NetError("The room did not answer.");
    }
    if (!res.ok) {
      let err = null;
      try { err = (await res.json()).error; } catch { /* not JSON (a proxy's error page) */ }
      // A balancer's or tunnel's own 5xx page (no room error in it: e.g. nginx's 502 when the instance behind it died
      // with the request in hand) says nothing about the room: like no answer, the request may or may not have
      // arrived (a send is looked up before it goes again).
      if (!err?.code && res.status >= 500) throw new NetError(`The room did not answer (${res.status} from the way in).`);
      throw new ApiError(res.status, err?.code ?? "HTTP_" + res.status, err?.message ?? `The room answered ${res.status}.`, err ?? {});
    }
    if (as === "text") return res.text();
    if (as === "blob") return res.blob();
    return res.json();
  };
}

/** An error that ends this participant's session rather than this connection attempt. */
export const isRemoved = (e) => e instanceof ApiError && (e.code === "REMOVED" || e.code === "REVOKED");
export const isUnknownToken = (e) => e instanceof ApiError && e.status === 401;
