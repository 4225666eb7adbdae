/**
 * A bare test client for the relay wire protocol (docs/PROTOCOL.md Part A), written
 * from the document rather than from the relay's code: HMAC with node:crypto, frames
 * laid out by hand.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { WebSocket, type ClientOptions } from 'ws';

export const ROOM_ID_BYTES = 32;
export const KEY_BYTES = 32;
export const VERSION = 2;
const KIND_PUBLISH = 1;
const KIND_DELIVER = 2;
const KIND_HISTORY = 3;
const KIND_ACK = 4;
const KIND_PUBLISH_PINNED = 5;
const PUBLISH_HEADER = 38;
const DELIVER_HEADER = 42;
const ACK_FRAME = 14;
const WAIT_MS = 5_000;

export type Json = Record<string, unknown> & { t?: string };
export interface EnvelopeFrame {
  readonly kind: 'deliver' | 'history';
  readonly cursor: number;
  readonly room: string;
  readonly envelope: Buffer;
}
export interface AckFrame {
  readonly id: number;
  readonly cursor: number;
}
export type Inbound = { readonly json: Json } | { readonly frame: EnvelopeFrame } | { readonly ack: AckFrame } | { readonly raw: Buffer };

export interface Room {
  readonly id: Buffer;
  readonly key: string;
  readonly admissionKey: Buffer;
}

export function newRoom(): Room {
  const id = randomBytes(ROOM_ID_BYTES);
  return { id, key: id.toString('base64url'), admissionKey: randomBytes(KEY_BYTES) };
}

export function proof(admissionKey: Uint8Array, roomId: Uint8Array, nonce: Uint8Array): string {
  return createHmac('sha256', admissionKey).update('sealroom/admit/v1', 'ascii').update(roomId).update(nonce).digest('base64url');
}

export function publishFrame(room: Buffer, id: number, envelope: Uint8Array, options: { pinned?: boolean } = {}): Buffer {
  const frame = Buffer.alloc(PUBLISH_HEADER + envelope.byteLength);
  frame[0] = VERSION;
  frame[1] = options.pinned === true ? KIND_PUBLISH_PINNED : KIND_PUBLISH;
  frame.writeUInt32BE(id, 2);
  room.copy(frame, 6);
  frame.set(envelope, PUBLISH_HEADER);
  return frame;
}

function parseFrame(data: Buffer): Inbound {
  if (data.length === ACK_FRAME && data[0] === VERSION && data[1] === KIND_ACK) {
    return { ack: { id: data.readUInt32BE(2), cursor: Number(data.readBigUInt64BE(6)) } };
  }
  if (data.length > DELIVER_HEADER && data[0] === VERSION && (data[1] === KIND_DELIVER || data[1] === KIND_HISTORY)) {
    return {
      frame: {
        kind: data[1] === KIND_DELIVER ? 'deliver' : 'history',
        cursor: Number(data.readBigUInt64BE(2)),
        room: data.toString('base64url', 10, 42),
        envelope: Buffer.from(data.subarray(DELIVER_HEADER)),
      },
    };
  }
  return { raw: data };
}

export class TestClient {
  readonly inbox: Inbound[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  hello: Json | undefined;
  private waiters: (() => void)[] = [];
  private nextPing = 1;
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.inbox.push(isBinary ? parseFrame(data) : { json: JSON.parse(data.toString('utf8')) as Json });
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    ws.on('error', () => undefined);
  }

  static async connect(url: string, options: ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    });
    client.hello = await client.json('hello');
    return client;
  }

  /** Removes and returns the first inbound item matching `match`, waiting for it. */
  async take<T extends Inbound>(match: (item: Inbound) => item is T, what: string, waitMs = WAIT_MS): Promise<T> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const index = this.inbox.findIndex(match);
      if (index !== -1) return this.inbox.splice(index, 1)[0] as T;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; inbox: ${JSON.stringify(this.inbox.map(describe))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async json(t: string, extra: (msg: Json) => boolean = () => true): Promise<Json> {
    const item = await this.take((i): i is { json: Json } => 'json' in i && i.json.t === t && extra(i.json), `"${t}"`);
    return item.json;
  }

  async error(code: string): Promise<Json> {
    return this.json('error', (m) => m.code === code);
  }

  async frame(kind: 'deliver' | 'history', room?: string): Promise<EnvelopeFrame> {
    const item = await this.take(
      (i): i is { frame: EnvelopeFrame } => 'frame' in i && i.frame.kind === kind && (room === undefined || i.frame.room === room),
      kind,
    );
    return item.frame;
  }

  frames(): EnvelopeFrame[] {
    return this.inbox.flatMap((i) => ('frame' in i ? [i.frame] : []));
  }

  /** The ACK of request `id`, waiting for it. */
  async ack(id: number): Promise<AckFrame> {
    const item = await this.take((i): i is { ack: AckFrame } => 'ack' in i && i.ack.id === id, `ack ${id}`);
    return item.ack;
  }

  /** ACKs received and not taken yet. */
  acks(): AckFrame[] {
    return this.inbox.flatMap((i) => ('ack' in i ? [i.ack] : []));
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendBinary(data: Uint8Array): void {
    this.ws.send(data, { binary: true });
  }

  /** A round trip: everything the relay sent before answering has arrived. */
  async sync(): Promise<void> {
    const id = this.nextPing++;
    this.send({ v: 2, t: 'ping', id });
    await this.json('pong', (m) => m.id === id);
  }

  /** The whole admission dance; resolves with the `joined` message. */
  async join(room: Room, options: { key?: Buffer; offerKey?: boolean; maxAgeMs?: number } = {}): Promise<Json> {
    this.send({ v: 2, t: 'join', room: room.key });
    const challenge = await this.json('challenge', (m) => m.room === room.key);
    const key = options.key ?? room.admissionKey;
    const nonce = Buffer.from(challenge.nonce as string, 'base64url');
    const prove: Json = { v: 2, t: 'prove', room: room.key, mac: proof(key, room.id, nonce) };
    if (challenge.registered === false && options.offerKey !== false) {
      prove.key = key.toString('base64url');
      if (options.maxAgeMs !== undefined) prove.maxAgeMs = options.maxAgeMs;
    }
    this.send(prove);
    return this.take(
      (i): i is { json: Json } => 'json' in i && (i.json.t === 'joined' || i.json.t === 'error') && i.json.room === room.key,
      `join ${room.key}`,
    ).then((i) => i.json);
  }

  /** Publishes and resolves with the ack's cursor. */
  async publish(room: Room, envelope: Uint8Array, options: { pinned?: boolean } = {}): Promise<number> {
    const id = this.nextId++;
    this.sendBinary(publishFrame(room.id, id, envelope, options));
    return (await this.ack(id)).cursor;
  }

  /** Publishes and resolves with what answered it: the ACK, or an `error` naming the request. */
  async publishAnswer(room: Room, envelope: Uint8Array, options: { pinned?: boolean } = {}): Promise<AckFrame | Json> {
    const id = this.nextId++;
    this.sendBinary(publishFrame(room.id, id, envelope, options));
    const item = await this.take(
      (i): i is { ack: AckFrame } | { json: Json } => ('ack' in i && i.ack.id === id) || ('json' in i && i.json.t === 'error' && i.json.id === id),
      `answer to ${id}`,
    );
    return 'ack' in item ? item.ack : item.json;
  }

  close(): void {
    this.ws.terminate();
  }
}

function describe(item: Inbound): unknown {
  if ('json' in item) return item.json;
  if ('ack' in item) return { ack: item.ack.id, cursor: item.ack.cursor };
  if ('frame' in item) return { frame: item.frame.kind, cursor: item.frame.cursor, bytes: item.frame.envelope.length };
  return { raw: item.raw.length };
}

/** Two clients in a room of their own, exchanging messages; proves the relay still works for them. */
export class Bystanders {
  private constructor(
    readonly a: TestClient,
    readonly b: TestClient,
    readonly room: Room,
    private sent = 0,
  ) {}

  static async start(url: string): Promise<Bystanders> {
    const room = newRoom();
    const a = await TestClient.connect(url);
    const b = await TestClient.connect(url);
    expectJoined(await a.join(room));
    expectJoined(await b.join(room));
    return new Bystanders(a, b, room);
  }

  /** One envelope each way, received byte-exact. Throws on any loss. */
  async exchange(): Promise<void> {
    for (const [from, to] of [
      [this.a, this.b],
      [this.b, this.a],
    ] as const) {
      const envelope = randomBytes(64 + (this.sent++ % 32));
      const cursor = await from.publish(this.room, envelope);
      const got = await to.frame('deliver', this.room.key);
      if (got.cursor !== cursor || !got.envelope.equals(envelope)) throw new Error('bystander envelope lost or altered');
    }
  }

  close(): void {
    this.a.close();
    this.b.close();
  }
}

export function expectJoined(message: Json): void {
  if (message.t !== 'joined') throw new Error(`expected joined, got ${JSON.stringify(message)}`);
}
