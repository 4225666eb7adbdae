/**
 * A raw WebSocket client speaking PROTOCOL Part A directly, for adversarial tests: it knows
 * a room's admission key (as any invitee does) and can read every retained envelope or
 * publish arbitrary bytes into the room.
 */
import WebSocket from 'ws';
import { admissionProof, deriveRoomKeys, parseInviteV1 as parseInvite, toBase64Url, fromBase64Url, type RoomKeys } from '@sealroom/protocol';
import { decodeRelayFrame, encodeJson, encodePublish } from '../src/wire.js';

export async function roomKeysFromInvite(link: string): Promise<RoomKeys> {
  const parsed = parseInvite(link);
  if (!parsed.ok) throw new Error(`bad invite: ${parsed.code}`);
  return deriveRoomKeys(parsed.invite.secret);
}

export class RawRelayClient {
  private constructor(
    private readonly ws: WebSocket,
    private readonly messages: Record<string, unknown>[],
    readonly frames: { cursor: number; envelope: Uint8Array; kind: string }[],
  ) {}

  static async connect(wsUrl: string): Promise<RawRelayClient> {
    const ws = new WebSocket(wsUrl);
    const messages: Record<string, unknown>[] = [];
    const frames: { cursor: number; envelope: Uint8Array; kind: string }[] = [];
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = decodeRelayFrame(new Uint8Array(data as Buffer));
        // An ACK is listed with the JSON messages, shaped as one, so a test awaits either answer alike.
        if (frame?.kind === 'ack') messages.push({ t: 'ack', id: frame.requestId, cursor: frame.cursor });
        else if (frame !== undefined) frames.push({ cursor: frame.cursor, envelope: frame.envelope, kind: frame.kind });
      } else messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const client = new RawRelayClient(ws, messages, frames);
    await client.next((m) => m.t === 'hello');
    return client;
  }

  async next(match: (m: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex(match);
      if (index >= 0) return this.messages.splice(index, 1)[0]!;
      if (Date.now() > deadline) throw new Error('raw client: timed out waiting for a message');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  send(message: Record<string, unknown>): void {
    this.ws.send(encodeJson(message));
  }

  async join(keys: RoomKeys): Promise<void> {
    this.send({ t: 'join', room: keys.roomIdB64 });
    const challenge = await this.next((m) => m.t === 'challenge' && m.room === keys.roomIdB64);
    const mac = await admissionProof(keys.admissionKey, keys.roomId, fromBase64Url(challenge.nonce as string)!);
    this.send({ t: 'prove', room: keys.roomIdB64, mac: toBase64Url(mac), ...(challenge.registered === true ? {} : { key: toBase64Url(keys.admissionKey) }) });
    await this.next((m) => (m.t === 'joined' || m.t === 'error') && m.room === keys.roomIdB64);
  }

  /** Every retained envelope of the room, oldest first. */
  async history(keys: RoomKeys): Promise<{ cursor: number; envelope: Uint8Array }[]> {
    const out: { cursor: number; envelope: Uint8Array }[] = [];
    let after = 0;
    for (;;) {
      const start = this.frames.length;
      this.send({ t: 'history', room: keys.roomIdB64, after });
      const end = await this.next((m) => m.t === 'history-end' && m.room === keys.roomIdB64);
      const page = this.frames.splice(start).filter((f) => f.kind === 'history');
      out.push(...page);
      if (end.more !== true || page.length === 0) return out;
      after = page[page.length - 1]!.cursor;
    }
  }

  private requestId = 1;

  async publish(keys: RoomKeys, envelope: Uint8Array): Promise<Record<string, unknown>> {
    const id = this.requestId++;
    this.ws.send(encodePublish(id, keys.roomId, envelope));
    return this.next((m) => (m.t === 'ack' || m.t === 'error') && m.id === id);
  }

  close(): void {
    this.ws.close();
  }
}
