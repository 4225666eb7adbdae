// A minimal promise-based relay client for the sections that move bulk bytes (files,
// scale-out checks): join a room, publish envelopes and await their acks, receive
// deliveries. Part A of docs/PROTOCOL.md only; nothing is encrypted.
import WebSocket from 'ws';
import {
  ackedRequestId,
  admissionProof,
  deliveredCursor,
  deliveredEnvelope,
  fromBase64Url,
  PUBLISH_HEADER_BYTES,
  publishFrame,
  setRequestId,
  toBase64Url,
  WIRE_VERSION,
} from './relay-frames.js';

/** How long connecting and admission may take, ms. */
const ADMISSION_TIMEOUT_MS = 15_000;

interface RelayMessage {
  t?: string;
  id?: number;
  code?: string;
  nonce?: string;
  registered?: boolean;
}

export class RawRelayClient {
  private readonly acks = new Map<number, (error?: Error) => void>();
  private nextRequestId = 0;
  private joinWaiter: ((error?: Error) => void) | undefined;
  private pendingRoom: { id: Uint8Array; admissionKey: Uint8Array } | undefined;
  /** Called with each delivered envelope (a view into the frame) and its cursor. */
  onEnvelope: (envelope: Buffer, cursor: number) => void = () => {};
  /** Called once when the relay closes the connection (code, e.g. after a slow-consumer cut). */
  onClose: (code: number) => void = () => {};

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => (isBinary ? this.onBinary(data) : this.onText(data.toString('utf8'))));
    ws.on('close', (code) => {
      this.failAll(new Error('relay connection closed'));
      this.onClose(code);
    });
    ws.on('error', (error) => this.failAll(error));
  }

  static async connect(wsUrl: string): Promise<RawRelayClient> {
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    const client = new RawRelayClient(ws);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('relay did not say hello')), ADMISSION_TIMEOUT_MS);
      ws.once('error', reject);
      ws.on('message', function hello(data: Buffer, isBinary) {
        if (isBinary) return;
        if ((JSON.parse(data.toString('utf8')) as RelayMessage).t === 'hello') {
          clearTimeout(timer);
          ws.off('message', hello);
          resolve();
        }
      });
    });
    return client;
  }

  /** Bytes queued in the socket, not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Joins (registering the admission key on first use). */
  join(room: { id: Uint8Array; admissionKey: Uint8Array }): Promise<void> {
    this.pendingRoom = room;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('admission timed out')), ADMISSION_TIMEOUT_MS);
      this.joinWaiter = (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      this.ws.send(JSON.stringify({ v: WIRE_VERSION, t: 'join', room: toBase64Url(room.id) }));
    });
  }

  /** Publishes one envelope; resolves when the relay acknowledges it. */
  publish(roomId: Uint8Array, envelope: Uint8Array): Promise<void> {
    const frame = publishFrame(roomId, envelope.length);
    frame.set(envelope, PUBLISH_HEADER_BYTES);
    const id = ++this.nextRequestId;
    setRequestId(frame, id);
    return new Promise<void>((resolve, reject) => {
      this.acks.set(id, (error) => (error ? reject(error) : resolve()));
      this.ws.send(frame, { binary: true });
    });
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  private onBinary(frame: Buffer): void {
    const acked = ackedRequestId(frame);
    if (acked !== undefined) {
      this.acks.get(acked)?.();
      this.acks.delete(acked);
      return;
    }
    const envelope = deliveredEnvelope(frame);
    if (envelope) this.onEnvelope(envelope, deliveredCursor(frame));
  }

  private onText(text: string): void {
    const message = JSON.parse(text) as RelayMessage;
    if (message.t === 'challenge' && this.pendingRoom) {
      const room = this.pendingRoom;
      void admissionProof(room.admissionKey, room.id, fromBase64Url(message.nonce ?? '')).then((mac) => {
        const prove: Record<string, unknown> = { v: WIRE_VERSION, t: 'prove', room: toBase64Url(room.id), mac: toBase64Url(mac) };
        if (message.registered === false) prove.key = toBase64Url(room.admissionKey);
        this.ws.send(JSON.stringify(prove));
      });
    } else if (message.t === 'joined') {
      this.joinWaiter?.();
    } else if (message.t === 'error') {
      const error = new Error(`relay error ${message.code}`);
      if (message.id !== undefined && this.acks.has(message.id)) {
        this.acks.get(message.id)!(error);
        this.acks.delete(message.id);
      } else {
        this.joinWaiter?.(error);
      }
    }
  }

  private failAll(error: Error): void {
    for (const settle of this.acks.values()) settle(error);
    this.acks.clear();
    this.joinWaiter?.(error);
  }
}
