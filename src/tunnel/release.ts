// Which cloudflared release file fits this machine, and what the release says it should look like.
//
// Asset names are those the `cloudflared` npm package 0.7.3 downloads (lib/install.js: LINUX_URL, MACOS_URL,
// WINDOWS_URL); we do not use that package itself because its download base is hard-coded to GitHub (so it cannot
// be tested against a local stand-in) and its postinstall never runs under npm 11 (the README's "Left out" list).
//
// What a release offers for checking a download (GitHub's releases API, GET /repos/cloudflare/cloudflared/releases/…):
// - every asset's `size` in bytes: a download that was cut off, or padded, is caught;
// - an asset `digest` ("sha256:<hex>") that GitHub computes when a file is uploaded (assets uploaded since mid-2025);
// - the "SHA256 Checksums" list Cloudflare puts in every release's notes (`cloudflared-linux-amd64: <hex>`).
// We check the size and every SHA-256 the release publishes for the file. All of it comes over HTTPS from the same
// place as the file, so it catches damage in transit and a wrong or altered file from a proxy or mirror, not a
// compromised release itself.

interface ReleaseAsset {
  name: string;
  size?: number;
  url: string;
  /** Lowercase hex SHA-256 values the release publishes for this asset (digest field, release notes); may be empty. */
  sha256: string[];
}

export interface Release {
  tag: string;
  asset: ReleaseAsset;
}

/** Release file names per platform and CPU, as the `cloudflared` npm package 0.7.3 picks them. */
const ASSETS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  linux: { arm64: "cloudflared-linux-arm64", arm: "cloudflared-linux-arm", x64: "cloudflared-linux-amd64", ia32: "cloudflared-linux-386" },
  darwin: { arm64: "cloudflared-darwin-arm64.tgz", x64: "cloudflared-darwin-amd64.tgz" },
  win32: { x64: "cloudflared-windows-amd64.exe", ia32: "cloudflared-windows-386.exe" },
};

export function assetName(platform: string, arch: string): string | undefined {
  return ASSETS[platform]?.[arch];
}

/** The API URL of a release: "latest", or a tag such as "2025.11.1". `base` is the repository's API root. */
export function releaseUrl(base: string, version: string): string {
  const root = base.replace(/\/+$/, "");
  return version === "latest" ? `${root}/releases/latest` : `${root}/releases/tags/${encodeURIComponent(version)}`;
}

/** `cloudflared-linux-amd64: <64 hex>` lines from a release's notes. */
export function checksumFromNotes(notes: string, asset: string): string | undefined {
  const escaped = asset.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^[ \\t]*${escaped}:[ \\t]*([0-9a-f]{64})[ \\t]*$`, "mi").exec(notes)?.[1]?.toLowerCase();
}

/** The part of GitHub's release JSON we read. */
interface ReleaseJson {
  tag_name?: unknown;
  body?: unknown;
  assets?: Array<{ name?: unknown; size?: unknown; browser_download_url?: unknown; digest?: unknown }>;
}

/** Picks `asset` out of a release JSON; undefined when the release has no such file. Throws on a malformed answer. */
export function parseRelease(json: unknown, asset: string): Release | undefined {
  const r = json as ReleaseJson;
  if (!r || typeof r !== "object" || typeof r.tag_name !== "string" || !Array.isArray(r.assets)) {
    throw new Error("the answer is not a release (no tag_name or assets)");
  }
  const found = r.assets.find((a) => a && a.name === asset);
  if (!found) return undefined;
  if (typeof found.browser_download_url !== "string") throw new Error(`the release lists ${asset} without a download URL`);
  const sha256: string[] = [];
  if (typeof found.digest === "string" && /^sha256:[0-9a-f]{64}$/i.test(found.digest)) sha256.push(found.digest.slice(7).toLowerCase());
  const noted = typeof r.body === "string" ? checksumFromNotes(r.body, asset) : undefined;
  if (noted && !sha256.includes(noted)) sha256.push(noted);
  return {
    tag: r.tag_name,
    asset: {
      name: asset,
      size: typeof found.size === "number" && found.size > 0 ? found.size : undefined,
      url: found.browser_download_url,
      sha256,
    },
  };
}
