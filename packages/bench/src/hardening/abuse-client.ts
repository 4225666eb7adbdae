// A hostile wire-level client for the abuse run: speaks PROTOCOL.md Part A from a chosen
// loopback source address, counts what it receives, and can stop reading its socket
// altogether (a slow reader: the relay's writes then pile up in its buffers).
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { admissionProof, fromBase64Url, PUBLISH_HEADER_BYTES, publishFrame, setRequestId, toBase64Url, WIRE_VERSION } from '../wire/relay-frames.js';

/** How long connecting or one answer may take before the attempt counts as failed, ms. */
const ANSWER_TIMEOUT_MS = 10_000;
const ROOM_KEY_BYTES = 32;

export interface AbuseRoom {
  id: Uint8Array;
  admissionKey: Uint8Array;
}

export function newAbuseRoom(): AbuseRoom {
  return { id: randomBytes(ROOM_KEY_BYTES), admissionKey: randomBytes(ROOM_KEY_BYTES) };
}

interface Message {
  t?: string;
  room?: string;
  nonce?: string;
  registered?: boolean;
  code?: string;
  message?: string;
  more?: boolean;
  head?: number;
}

export class AbuseClient {
  /** Bytes received (text and binary), and refusals by code. */
  bytesIn = 0;
  readonly errors = new Map<string, number>();
  /** The first refusal's text per code, to tell what a count of refusals was about. */
  readonly firstErrors = new Map<string, string>();
  closedCode: number | undefined;
  private waiters: { match: (m: Message) => boolean; settle: (m: Message | undefined) => void }[] = [];
  private nextRequestId = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      this.bytesIn += data.length;
      if (isBinary) return;
      const message = JSON.parse(data.toString('utf8')) as Message;
      if (message.t === 'error') {
        const code = message.code ?? '?';
        this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
        if (!this.firstErrors.has(code)) this.firstErrors.set(code, message.message ?? '');
      }
      const index = this.waiters.findIndex((waiter) => waiter.match(message));
      if (index !== -1) this.waiters.splice(index, 1)[0]!.settle(message);
    });
    ws.on('close', (code) => {
      this.closedCode = code;
      for (const waiter of this.waiters.splice(0)) waiter.settle(undefined);
    });
    ws.on('error', () => undefined);
  }

  static async connect(url: string, localAddress: string): Promise<AbuseClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, localAddress });
    const client = new AbuseClient(ws);
    const hello = client.next((m) => m.t === 'hello');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if ((await hello) === undefined) throw new Error('no hello');
    return client;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** The next message matching `match`, or undefined on close or timeout. */
  next(match: (m: Message) => boolean): Promise<Message | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.settle !== settle);
        resolve(undefined);
      }, ANSWER_TIMEOUT_MS);
      const settle = (m: Message | undefined) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ match, settle });
    });
  }

  send(message: Record<string, unknown>): void {
    if (this.open) this.ws.send(JSON.stringify({ v: WIRE_VERSION, ...message }));
  }

  /** Joins (registering the room's key when it is new); true once admitted. */
  async join(room: AbuseRoom): Promise<boolean> {
    const key = toBase64Url(room.id);
    const challenge = this.next((m) => (m.t === 'challenge' || m.t === 'error') && m.room === key);
    this.send({ t: 'join', room: key });
    const answer = await challenge;
    if (answer?.t !== 'challenge') return false;
    const mac = await admissionProof(room.admissionKey, room.id, fromBase64Url(answer.nonce ?? ''));
    const prove: Record<string, unknown> = { t: 'prove', room: key, mac: toBase64Url(mac) };
    if (answer.registered === false) prove.key = toBase64Url(room.admissionKey);
    const joined = this.next((m) => (m.t === 'joined' || m.t === 'error') && m.room === key);
    this.send(prove);
    return (await joined)?.t === 'joined';
  }

  async leave(room: AbuseRoom): Promise<void> {
    const key = toBase64Url(room.id);
    const left = this.next((m) => (m.t === 'left' || m.t === 'error') && m.room === key);
    this.send({ t: 'leave', room: key });
    await left;
  }

  /** Asks for the room's history after `after` and resolves at its end (or undefined on close/timeout). */
  async history(room: AbuseRoom, after = 0): Promise<Message | undefined> {
    const key = toBase64Url(room.id);
    const end = this.next((m) => (m.t === 'history-end' || m.t === 'error') && m.room === key);
    this.send({ t: 'history', room: key, after });
    return end;
  }

  /** Publishes without waiting for the ACK. */
  publish(room: AbuseRoom, envelope: Uint8Array): void {
    if (!this.open) return;
    const frame = publishFrame(room.id, envelope.length);
    frame.set(envelope, PUBLISH_HEADER_BYTES);
    setRequestId(frame, ++this.nextRequestId);
    this.ws.send(frame, { binary: true });
  }

  /** Stops reading from the socket: the relay's writes to it back up. */
  stopReading(): void {
    this.ws.pause();
  }

  /** Reads again (to learn whether the relay cut the connection meanwhile). */
  resumeReading(): void {
    this.ws.resume();
  }

  close(): void {
    this.ws.terminate();
  }
}
