// One benchmark client connection per server kind, speaking each server's own wire
// format with the same `ws` client underneath, so the generator's cost per message is the
// same whichever server is measured.
import WebSocket from 'ws';
import {
  ADMISSION_KEY_BYTES,
  admissionProof,
  deliveredEnvelope,
  fromBase64Url,
  publishFrame,
  PUBLISH_HEADER_BYTES,
  ROOM_ID_BYTES,
  setRequestId,
  toBase64Url,
  WIRE_VERSION,
} from '../wire/relay-frames.js';

export type ServerKind = 'relay' | 'bare-ws' | 'socket.io';

export interface RoomSpec {
  /** 32 random bytes; the relay's room id, and the room name (hex) for the baselines. */
  id: Uint8Array;
  /** 32 random bytes; only the relay uses it (admission). */
  admissionKey: Uint8Array;
}

/** Bytes at the start of every envelope: the sender's send time, u64 nanoseconds of `process.hrtime`. */
export const STAMP_BYTES = 8;

/**
 * An open-loop sender never waits, so a server that stops reading would grow the client's
 * buffer without bound. Past this many queued bytes a send is skipped and counted: the
 * server is saturated and the figure says so.
 */
export const SEND_BACKLOG_LIMIT_BYTES = 1 << 20;

/** How long one connection may take to open and be admitted before the run fails, ms. */
export const OPEN_TIMEOUT_MS = 30_000;

export interface ConnectionEvents {
  /** Called with the envelope bytes of each delivery (never the sender's own message). */
  onDelivery(envelope: Buffer): void;
  /** Called with a stable code for each refusal or failure the server reports. */
  onError(code: string): void;
}

export interface BenchConnection {
  /** Sends one envelope stamped with `stampNs`; false when skipped for backpressure. */
  send(stampNs: bigint): boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  kind: ServerKind;
  /** ws:// URL of the server's WebSocket endpoint. */
  url: string;
  room: RoomSpec;
  envelopeBytes: number;
  /** Loopback source address, so thousands of connections do not exhaust one address's ports. */
  localAddress?: string;
  events: ConnectionEvents;
}

export function roomName(room: RoomSpec): string {
  return Buffer.from(room.id).toString('hex');
}

export async function openConnection(options: OpenOptions): Promise<BenchConnection> {
  if (options.envelopeBytes < STAMP_BYTES) throw new RangeError(`envelopes carry an ${STAMP_BYTES}-byte stamp`);
  if (options.room.id.length !== ROOM_ID_BYTES || options.room.admissionKey.length !== ADMISSION_KEY_BYTES) {
    throw new RangeError('room id and admission key are 32 bytes each');
  }
  switch (options.kind) {
    case 'relay':
      return openRelay(options);
    case 'bare-ws':
      return openBare(options);
    case 'socket.io':
      return openSocketIo(options);
  }
}

function connect(url: string, localAddress: string | undefined): WebSocket {
  // perMessageDeflate off: the servers all run without compression, and envelopes are
  // ciphertext that would not compress anyway.
  return new WebSocket(url, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
}

function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, CLOSE_GRACE_MS);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close();
  });
}

/** How long a closing handshake may take before the socket is simply destroyed, ms. */
const CLOSE_GRACE_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ws: WebSocket, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${what}: no answer within ${OPEN_TIMEOUT_MS} ms`));
    }, OPEN_TIMEOUT_MS);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        ws.terminate();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function stamp(envelope: Buffer, offset: number, stampNs: bigint): void {
  envelope.writeBigUInt64BE(stampNs, offset);
}

// ---------------------------------------------------------------- Sealroom relay

interface RelayJson {
  v?: number;
  t?: string;
  code?: string;
  nonce?: string;
  registered?: boolean;
  room?: string;
}

async function openRelay(options: OpenOptions): Promise<BenchConnection> {
  const ws = connect(options.url, options.localAddress);
  const roomB64 = toBase64Url(options.room.id);
  const joined = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`relay closed the connection during admission (${code})`)));
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        // ACKs (binary) are not counted: the load measures deliveries.
        const envelope = deliveredEnvelope(data);
        if (envelope) options.events.onDelivery(envelope);
        return;
      }
      let message: RelayJson;
      try {
        message = JSON.parse(data.toString('utf8')) as RelayJson;
      } catch {
        options.events.onError('BENCH_BAD_JSON');
        return;
      }
      switch (message.t) {
        case 'hello':
          ws.send(JSON.stringify({ v: WIRE_VERSION, t: 'join', room: roomB64 }));
          break;
        case 'challenge': {
          const nonce = fromBase64Url(message.nonce ?? '');
          void admissionProof(options.room.admissionKey, options.room.id, nonce).then((mac) => {
            const prove: Record<string, unknown> = { v: WIRE_VERSION, t: 'prove', room: roomB64, mac: toBase64Url(mac) };
            if (message.registered === false) prove.key = toBase64Url(options.room.admissionKey);
            ws.send(JSON.stringify(prove));
          }, reject);
          break;
        }
        case 'joined':
          resolve();
          break;
        case 'error':
          options.events.onError(message.code ?? 'UNKNOWN');
          if (message.code === 'ADMISSION_DENIED' || message.code === 'NO_CHALLENGE') reject(new Error(`admission refused: ${message.code}`));
          break;
        default:
          break;
      }
    });
  });
  await withTimeout(joined, ws, 'relay admission');
  ws.removeAllListeners('error');
  ws.removeAllListeners('close');
  ws.on('error', () => options.events.onError('BENCH_SOCKET_ERROR'));
  const frame = publishFrame(options.room.id, options.envelopeBytes);
  let requestId = 0;
  return {
    send(stampNs) {
      if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > SEND_BACKLOG_LIMIT_BYTES) return false;
      setRequestId(frame, ++requestId);
      stamp(frame, PUBLISH_HEADER_BYTES, stampNs);
      ws.send(frame, { binary: true });
      return true;
    },
    close: () => closeSocket(ws),
  };
}

// ---------------------------------------------------------------- bare ws broadcast

async function openBare(options: OpenOptions): Promise<BenchConnection> {
  const ws = connect(`${options.url}?room=${roomName(options.room)}`, options.localAddress);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    ws,
    'bare ws open',
  );
  ws.on('error', () => options.events.onError('BENCH_SOCKET_ERROR'));
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) options.events.onDelivery(data);
  });
  const envelope = Buffer.alloc(options.envelopeBytes);
  return {
    send(stampNs) {
      if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > SEND_BACKLOG_LIMIT_BYTES) return false;
      stamp(envelope, 0, stampNs);
      ws.send(envelope, { binary: true });
      return true;
    },
    close: () => closeSocket(ws),
  };
}

// ---------------------------------------------------------------- Socket.IO
//
// The Socket.IO v5 protocol over Engine.IO v4, websocket transport only, spoken directly
// so the generator pays what a plain ws client pays. A binary event is two frames: the
// text header `451-["m",{"_placeholder":true,"num":0}]` then the raw bytes. The real
// socket.io-client is used in the tests to show this server is an ordinary Socket.IO room
// server.

/** Socket.IO event names used by the baseline server (servers/socketio-server.mjs). */
export const SOCKET_IO_MESSAGE_EVENT = 'm';
export const SOCKET_IO_JOIN_EVENT = 'join';
const ENGINE_IO_OPEN = '0';
const ENGINE_IO_PING = '2';
const ENGINE_IO_PONG = '3';
const SOCKET_IO_CONNECT = '40';
const SOCKET_IO_JOIN_ACK = '430';
/** Engine.IO message + Socket.IO BINARY_EVENT with one attachment: the header frame of a binary event. */
const SOCKET_IO_BINARY_EVENT_PREFIX = '451-';
/** Engine.IO message + Socket.IO CONNECT_ERROR. */
const SOCKET_IO_CONNECT_ERROR = '44';
const SOCKET_IO_BINARY_HEADER = `${SOCKET_IO_BINARY_EVENT_PREFIX}["${SOCKET_IO_MESSAGE_EVENT}",{"_placeholder":true,"num":0}]`;

export function socketIoPath(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/socket.io/?EIO=4&transport=websocket`;
}

async function openSocketIo(options: OpenOptions): Promise<BenchConnection> {
  const ws = connect(socketIoPath(options.url), options.localAddress);
  let awaitingAttachment = false;
  const joined = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`socket.io closed the connection while joining (${code})`)));
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        if (awaitingAttachment) {
          awaitingAttachment = false;
          options.events.onDelivery(data);
        }
        return;
      }
      const text = data.toString('utf8');
      if (text === ENGINE_IO_PING) {
        ws.send(ENGINE_IO_PONG);
      } else if (text.startsWith(SOCKET_IO_BINARY_EVENT_PREFIX)) {
        awaitingAttachment = true;
      } else if (text.startsWith(ENGINE_IO_OPEN)) {
        ws.send(SOCKET_IO_CONNECT);
      } else if (text.startsWith(SOCKET_IO_CONNECT)) {
        ws.send(`420${JSON.stringify([SOCKET_IO_JOIN_EVENT, roomName(options.room)])}`);
      } else if (text.startsWith(SOCKET_IO_JOIN_ACK)) {
        resolve();
      } else if (text.startsWith(SOCKET_IO_CONNECT_ERROR)) {
        options.events.onError('SOCKET_IO_CONNECT_ERROR');
        reject(new Error(`socket.io refused the namespace: ${text}`));
      }
    });
  });
  await withTimeout(joined, ws, 'socket.io join');
  ws.removeAllListeners('error');
  ws.removeAllListeners('close');
  ws.on('error', () => options.events.onError('BENCH_SOCKET_ERROR'));
  const envelope = Buffer.alloc(options.envelopeBytes);
  return {
    send(stampNs) {
      if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > SEND_BACKLOG_LIMIT_BYTES) return false;
      stamp(envelope, 0, stampNs);
      ws.send(SOCKET_IO_BINARY_HEADER);
      ws.send(envelope, { binary: true });
      return true;
    },
    close: () => closeSocket(ws),
  };
}
