// The macOS releases of cloudflared are a .tgz holding one file, `cloudflared`. Reading one regular file out of a
// gzipped tar takes a few lines (512-byte headers, octal sizes), where a tar dependency or spawning `tar` would be
// more to install or to trust; pax/GNU extension headers are skipped like any other entry.
import { gunzipSync } from "node:zlib";

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

/** The content of the regular file whose base name is `name` in the .tgz `archive`; throws when it is not there. */
export function extractFromTgz(archive: Buffer, name: string): Buffer {
  const tar = gunzipSync(archive);
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) throw new Error("the archive has a damaged header");
    const path = [field(header, 345, 155), field(header, 0, 100)].filter(Boolean).join("/");
    const type = field(header, 156, 1);
    const body = at + BLOCK;
    if ((type === "0" || type === "") && path.split("/").pop() === name) {
      if (body + size > tar.length) throw new Error(`the archive ends inside ${name}`);
      return Buffer.from(tar.subarray(body, body + size));
    }
    at = body + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new Error(`the archive holds no file named ${name}`);
}
