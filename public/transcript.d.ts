// Types for transcript.js (plain JavaScript served to the browser as is), for the tests that import it from Node.
export interface TranscriptMessage { id: number; agent: string; text: string; timestamp: string; kind: string; verified?: boolean; replyTo?: number }
export function escapeInline(s: string): string;
export function fence(text: string): string;
export function toMarkdown(t: { title: string; messages: TranscriptMessage[]; stamp: string }): string;
export function slug(title: string): string;
export function download(t: { title: string; messages: TranscriptMessage[]; format: "md" | "json" }): void;
