/**
 * The platform pieces the client is given instead of reaching for globals: a storage, a
 * WebSocket constructor and a clock. The same client code runs in browsers and in Node
 * because nothing else about the platform is assumed.
 */

/**
 * Byte-valued key/value storage. The client stores the password-wrapped identity blob
 * as is and everything else (room secrets, members, verification marks, cursors,
 * outbox, history) sealed under a storage key that the password unwraps; the storage
 * itself therefore never needs to be trusted with plaintext.
 *
 * Two implementations ship: {@link createMemoryStorage} (Node, tests) and
 * {@link createIndexedDbStorage} (browser, via idb-keyval).
 */
export interface ClientStorage {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every stored key that starts with `prefix`, in no particular order. */
  keys(prefix: string): Promise<string[]>;
}

/** The subset of the WHATWG `WebSocket` the client uses; `ws` in Node satisfies it. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string | ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

/** `globalThis.WebSocket` in the browser; `import WebSocket from 'ws'` in Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * Time, injected so tests can drive timers (reconnect backoff, presence heartbeats,
 * disappearing-message expiry). Defaults to `Date.now` and the global timers.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Reconnect backoff: `min(maxDelayMs, baseDelayMs * 2^attempt)`, scaled by full jitter. */
export interface ReconnectOptions {
  /** First retry delay before jitter, in ms. Default 500. */
  baseDelayMs?: number;
  /** Cap on any retry delay, in ms. Default 30 000. */
  maxDelayMs?: number;
}
