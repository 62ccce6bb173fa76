// Types for signing.js (plain JavaScript served to the browser as is), for the tests that import it from Node.
export const JOIN_TAG: string;
export const MESSAGE_TAG: string;
export function b64url(bytes: ArrayBuffer | Uint8Array): string;
export function fromB64url(text: string): Uint8Array;
export function fingerprint(key: string): Promise<string>;
export function joinPayload(o: { room: string; url: string; name: string; challenge: string }): string;
export function messagePayload(o: { room: string; name: string; text: string; sentAt: string; nonce: string; prev: string; prevId: number; replyTo?: number; to?: string }): string;
export function newNonce(): string;
export function roomName(name: string): string;
export function chainHead(list: { id: number; hash?: string }[]): { prev: string; prevId: number };
