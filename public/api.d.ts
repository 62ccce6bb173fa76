// Types for api.js (plain JavaScript served to the browser as is), for the tests that import it from Node.
export class ApiError extends Error {
  constructor(status: number, code: string, message: string, extra?: Record<string, unknown>);
  status: number;
  code: string;
  extra: Record<string, unknown>;
}
export class NetError extends Error {}
export function roomBase(pathname: string): string;
export function createApi(o?: { base?: string; auth?: () => string | null }): (path: string, opts?: Record<string, unknown>) => Promise<any>;
export function isRemoved(e: unknown): boolean;
export function isUnknownToken(e: unknown): boolean;
