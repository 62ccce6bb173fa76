// The web UI's files, read once at start into memory. Only files that exist in public/ at start can ever be
// served, by exact name: no path from a request touches the file system, so no path trick reaches outside.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8", // vendored ES modules (public/vendor)
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
};

export interface StaticFile {
  body: Buffer;
  type: string;
}

export function loadPublic(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (d: string, prefix: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return; // no public/ (e.g. a trimmed install): the API still works
    }
    for (const name of names) {
      if (name.startsWith(".")) continue;
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
      else if (TYPES[extname(name)]) files.set(`/${prefix}${name}`, { body: readFileSync(full), type: TYPES[extname(name)]! });
    }
  };
  walk(dir, "");
  const index = files.get("/index.html");
  if (index) files.set("/", index);
  return files;
}

/** Headers for the page: it may load only its own scripts and talk only to its own origin. */
export const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache",
};
