// One WebSocket, as the two sides of the server see it: what a room's hub needs of a socket (WsSocket) and keeps per
// socket (WsConn), and the gateway's Entry, which is both over one crossws peer — with the gateway's own per-socket
// state (joined, the frame budget) and what the upgrade learned (UpgradeInfo).
import type { Peer } from "crossws";
import type { Participant } from "../../room/index.js";
import type { WsHub } from "./hub.js";

/** What the hub needs of a socket (the gateway adapts crossws's peer to it). */
export interface WsSocket {
  /** Queue a text frame; returns the bytes not yet handed to the OS. */
  send(data: Buffer): number;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
  /** Address and forwarding headers, for the failed-password throttle. */
  readonly remoteAddress: string | undefined;
  header(name: string): string | undefined;
}

export interface WsConn {
  sock: WsSocket;
  participant?: Participant;
  /** The invite key the socket joined with (or its token was minted from): revoking it ends the socket. */
  key?: object;
  /** Id of the last message written to this socket. */
  cursor: number;
  /** Replay finished: live frames are written directly. */
  live: boolean;
  /** Replay paused until the socket drains. */
  waiting: boolean;
  /** Pings sent since the client last sent anything. */
  missed: number;
  /** serve --redis: replies still waiting for Redis; later replies queue behind them, so they keep their order. */
  replies?: Promise<void>;
}

/** What the upgrade learned, handed to crossws as the request's context (it keeps it as peer.context): the room's
 * hub and the addressing headers the failed-password throttle reads — nothing else of the request is kept. */
export interface UpgradeInfo {
  hub: WsHub;
  remoteAddress: string | undefined;
  forwarded: Record<string, string>;
}

/** One socket: its state for the hub (WsConn) and the hub's view of the socket (WsSocket), methods on the
 * prototype so an idle socket costs a few fields. */
export class Entry implements WsConn, WsSocket {
  readonly sock: WsSocket = this;
  participant?: WsConn["participant"];
  cursor = 0;
  live = false;
  waiting = false;
  missed = 0;
  joined = false;
  /** We closed it (or are closing it): later frames are ignored. */
  done = false;
  /** When the socket opened, then (frame budget) when its budget was last topped up. */
  at = Date.now();
  readonly openedAt = this.at;
  constructor(
    readonly peer: Peer,
    readonly hub: WsHub,
    readonly info: UpgradeInfo,
    public tokens: number,
  ) {}
  // A Buffer would go out as a binary frame unless told otherwise: our frames are JSON text.
  send(data: Buffer): number {
    return this.peer.send(data, { binary: false } as { compress?: boolean }) ?? 0;
  }
  close(code: number, reason: string) {
    this.peer.close(code, reason);
  }
  get bufferedAmount() {
    return this.peer.bufferedAmount;
  }
  get remoteAddress() {
    return this.info.remoteAddress;
  }
  header(name: string) {
    return this.info.forwarded[name];
  }
}
