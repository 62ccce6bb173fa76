// A local stand-in for GitHub's cloudflared releases, on node:http and a random port: the releases API answer
// (tag, notes with the "SHA256 Checksums" list, assets with size, digest and browser_download_url), and the download
// URL answering 302 to a second path, as github.com redirects to its object storage. What it serves for a release
// file is a small shell script that runs the cloudflared stand-in (fake-cloudflared.mjs) with this node.
import { createHash } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FAKE_CF } from "./helpers.js";

export const TAG = "2099.1.0";
export const REPO_PATH = "/repos/cloudflare/cloudflared";

/** The "cloudflared" the stand-in serves: runs the stand-in executable with this very node, whatever PATH is. */
export const fakeCloudflaredScript = () => Buffer.from(`#!/bin/sh\nexec '${process.execPath}' '${FAKE_CF}' "$@"\n`);

export interface Asset {
  name: string;
  /** What the release says (size, SHA-256) is computed from this… */
  published: Buffer;
  /** …and this is what the download actually delivers (default: the same bytes). */
  served?: Buffer;
  /** Where the release states the SHA-256: the asset's digest field, the notes, both (default), or nowhere. */
  checksum?: "digest" | "notes" | "both" | "none";
  /** Leave the size out of the asset list (then only Content-Length can be checked). */
  noSize?: boolean;
  /** Send this many bytes of the file, then hold the connection open without sending more. */
  stallAfter?: number;
}

export interface ReleaseServer {
  /** What AGENT_CHAT_CLOUDFLARED_BASE is set to. */
  base: string;
  /** Every request's path, in order. */
  requests: string[];
  close(): Promise<void>;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export async function releaseServer(assets: Asset[]): Promise<ReleaseServer> {
  const requests: string[] = [];
  const stalled = new Set<ServerResponse>();
  let origin = "";
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push(path);
    if (!/agent-chat/.test(req.headers["user-agent"] ?? "")) {
      // GitHub's API refuses requests without a User-Agent; so does the stand-in.
      res.writeHead(403, { "content-type": "application/json" }).end('{"message":"User-Agent required"}');
      return;
    }
    if (path === `${REPO_PATH}/releases/latest` || path === `${REPO_PATH}/releases/tags/${TAG}`) {
      const notes = assets
        .filter((a) => a.checksum === "notes" || a.checksum === "both" || a.checksum === undefined)
        .map((a) => `${a.name}: ${sha256(a.published)}`);
      const body = `### Notes\n- stand-in release\n\n### SHA256 Checksums:\n\`\`\`\n${notes.join("\n")}\n\`\`\`\n`;
      const list = assets.map((a) => ({
        name: a.name,
        ...(a.noSize ? {} : { size: a.published.length }),
        ...(a.checksum === "digest" || a.checksum === "both" || a.checksum === undefined ? { digest: `sha256:${sha256(a.published)}` } : {}),
        browser_download_url: `${origin}/cloudflare/cloudflared/releases/download/${TAG}/${a.name}`,
      }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ tag_name: TAG, body, assets: list }));
      return;
    }
    const download = /^\/cloudflare\/cloudflared\/releases\/download\/[^/]+\/([^/?]+)$/.exec(path);
    if (download) {
      res.writeHead(302, { location: `/objects/${download[1]}?sig=stand-in` }).end();
      return;
    }
    const object = /^\/objects\/([^/?]+)\?sig=stand-in$/.exec(path);
    const asset = object && assets.find((a) => a.name === object[1]);
    if (asset) {
      const bytes = asset.served ?? asset.published;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
      if (asset.stallAfter !== undefined) {
        res.write(bytes.subarray(0, asset.stallAfter));
        stalled.add(res);
      } else res.end(bytes);
      return;
    }
    res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base: `${origin}${REPO_PATH}`,
    requests,
    close: () => {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
