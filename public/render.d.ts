// Types for render.js (plain JavaScript served to the browser as is), for the tests that import it from Node.
export type Node = string | { tag: string; cls?: string; attrs?: Record<string, string>; kids?: Node[] };
export type Block = { md: string } | { code: string; lang?: string };
export function classify(text: string): Block[];
export function isCodeLine(line: string): boolean;
export function codeBlock(text: string, lang?: string): Node;
export function markMentions(text: string, ctx: { known: Set<string>; me: string; verified: boolean }): Node[];
export function renderText(text: string, ctx?: { mentions?: string[]; me?: string; verified?: boolean }): Node[];
export function textOf(nodes: Node[]): string;
export function foldName(s: string): string;
export function colorIndex(name: string): number;
export function initial(name: string): string;
export function formatTime(iso: string, locale?: string): string;
export function ago(iso: string, now?: number): string;
export function mentionsMe(m: { kind: string; agent: string; verified?: boolean; mentions?: string[] }, me: string | null): boolean;
