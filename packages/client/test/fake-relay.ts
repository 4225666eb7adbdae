/**
 * A scripted relay for transport tests: a real WebSocket server on 127.0.0.1 speaking PROTOCOL
 * Part A version 2, whose every answer the test decides. It lets a test do what a correct
 * relay never does on purpose — deliver out of cursor order, leave holes, withhold — and
 * see what the client makes of it. Frames are laid out by hand from the document.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const VERSION = 2;
const KIND_DELIVER = 2;
const KIND_HISTORY = 3;
const KIND_ACK = 4;
const DELIVER_HEADER = 42;
const ACK_BYTES = 14;

export type Json = Record<string, unknown>;

/** One client connection to the fake relay. */
export class FakeConnection {
  /** JSON messages received, oldest first (each taken out by `next`). */
  readonly inbox: Json[] = [];
  /** Binary frames received (PUBLISH), oldest first. */
  readonly publishes: { kind: number; id: number; room: string; envelope: Buffer }[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.publishes.push({ kind: data[1]!, id: data.readUInt32BE(2), room: data.toString('base64url', 6, 38), envelope: Buffer.from(data.subarray(38)) });
      } else this.inbox.push(JSON.parse(data.toString('utf8')) as Json);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  send(message: Json): void {
    this.ws.send(JSON.stringify({ v: VERSION, ...message }));
  }

  /** A DELIVER (live) or HISTORY frame. */
  envelope(kind: 'deliver' | 'history', room: string, cursor: number, envelope: Uint8Array): void {
    const frame = Buffer.alloc(DELIVER_HEADER + envelope.byteLength);
    frame[0] = VERSION;
    frame[1] = kind === 'deliver' ? KIND_DELIVER : KIND_HISTORY;
    frame.writeBigUInt64BE(BigInt(cursor), 2);
    Buffer.from(room, 'base64url').copy(frame, 10);
    frame.set(envelope, DELIVER_HEADER);
    this.ws.send(frame);
  }

  ack(id: number, cursor: number): void {
    const frame = Buffer.alloc(ACK_BYTES);
    frame[0] = VERSION;
    frame[1] = KIND_ACK;
    frame.writeUInt32BE(id, 2);
    frame.writeBigUInt64BE(BigInt(cursor), 6);
    this.ws.send(frame);
  }

  /** Removes and returns the first JSON message matching, waiting for it. */
  async next(match: (message: Json) => boolean, what: string, timeoutMs = 10_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex(match);
      if (index !== -1) return this.inbox.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake relay: timed out waiting for ${what}; inbox ${JSON.stringify(this.inbox)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Answers the client's next `join` and `prove` for `room`: a challenge, then `joined`. */
  async admit(room: string, joined: { head: number; epoch: string; registered?: boolean }): Promise<Json> {
    await this.next((m) => m.t === 'join' && m.room === room, `join of ${room}`);
    this.send({ t: 'challenge', room, nonce: Buffer.alloc(32, 7).toString('base64url'), registered: joined.registered ?? true });
    const prove = await this.next((m) => m.t === 'prove' && m.room === room, `prove of ${room}`);
    this.send({ t: 'joined', room, head: joined.head, epoch: joined.epoch });
    return prove;
  }
}

export class FakeRelay {
  private readonly waiting: ((connection: FakeConnection) => void)[] = [];
  private readonly arrived: FakeConnection[] = [];

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {
    server.on('connection', (ws) => {
      const connection = new FakeConnection(ws);
      connection.send({ t: 'hello', limits: { maxFrameBytes: 1024 * 1024, maxEnvelopeBytes: 1024 * 1024 - 38 } });
      const waiter = this.waiting.shift();
      if (waiter) waiter(connection);
      else this.arrived.push(connection);
    });
  }

  static async start(): Promise<FakeRelay> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new FakeRelay(server, `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`);
  }

  /** The next client connection (hello already sent). */
  connection(): Promise<FakeConnection> {
    const ready = this.arrived.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
