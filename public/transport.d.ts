// Types for transport.js (plain JavaScript served to the browser as is), for the tests that import it from Node.
export type Outcome = "failed" | "reset" | "fallback" | "aborted";
export interface Link {
  base: string;
  api: Api;
  token(): string | null;
  isFatal(e: unknown): boolean;
  readonly cursor: number;
  signal: AbortSignal;
  live(state: string): void;
  deliver(list: { id: number }[]): void;
  advance(id: number): void;
  fatal(e: unknown): void;
}
export type Api = (path: string, opts?: { signal?: AbortSignal; method?: string; body?: unknown; token?: string | null }) => Promise<any>;
export type Strategy = (link: Link) => Promise<Outcome>;
export const PROBE_MS: number;
export function sse(link: Link): Promise<Outcome>;
export function poll(link: Link): Promise<Outcome>;
export function ws(link: Link): Promise<Outcome>;
export interface Transport {
  readonly cursor: number;
  readonly state: string;
  readonly mode: string;
  start(from: number): void;
  stop(): void;
  retrySoon(): void;
  offline(): void;
  expect(lastId: number): void;
}
export function createTransport(o: {
  api: Api;
  base?: string;
  token: () => string | null;
  isFatal: (e: unknown) => boolean;
  deliver: (list: { id: number }[]) => void;
  reset: () => Promise<number>;
  state: (s: string) => void;
  fatal: (e: unknown) => void;
  room: (info: unknown) => void;
  strategies?: Record<string, Strategy>;
}): Transport;
