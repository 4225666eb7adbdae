/**
 * A raw WebSocket client speaking PROTOCOL Part A directly, for adversarial tests: it knows
 * a relay room's admission key (as any link holder knows a lobby's, or a member an epoch
 * room's) and can read every retained envelope or publish arbitrary bytes into the room.
 */
import WebSocket from 'ws';
import { admissionProof, deriveLobbyKeys, parseInvite, toBase64Url, fromBase64Url, type EpochKeys, type LobbyKeys } from '@sealroom/protocol';
import type { RoomSession } from '../src/room-session.js';
import type { TestClient } from './helpers.js';
import { decodeRelayFrame, encodeJson, encodePublish } from '../src/wire.js';

/** What admission to one relay room takes: its id and admission key. */
export type RelayRoomKeys = Pick<EpochKeys | LobbyKeys, 'relayRoomId' | 'relayRoomIdB64' | 'admissionKey'>;

/** The keys of the lobby an invite link leads to. */
export async function lobbyKeysFromInvite(link: string): Promise<LobbyKeys> {
  const parsed = parseInvite(link);
  if (!parsed.ok) throw new Error(`bad invite: ${parsed.code}`);
  return deriveLobbyKeys(parsed.invite.linkSecret);
}

/** A member's session of a room (internal state, read to play an insider or to check it). */
export function sessionOf(t: TestClient, roomId: string): RoomSession {
  return t.client.room(roomId) as unknown as RoomSession;
}

/** The keys of the room's current epoch as a member holds them. */
export function epochKeysOf(t: TestClient, roomId: string): EpochKeys {
  const keys = sessionOf(t, roomId).parts.log.current;
  if (keys === null) throw new Error(`${t.name} holds no epoch keys of ${roomId}`);
  return keys;
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

  async join(keys: RelayRoomKeys): Promise<Record<string, unknown>> {
    this.send({ t: 'join', room: keys.relayRoomIdB64 });
    const challenge = await this.next((m) => m.t === 'challenge' && m.room === keys.relayRoomIdB64);
    const mac = await admissionProof(keys.admissionKey, keys.relayRoomId, fromBase64Url(challenge.nonce as string)!);
    this.send({
      t: 'prove',
      room: keys.relayRoomIdB64,
      mac: toBase64Url(mac),
      ...(challenge.registered === true ? {} : { key: toBase64Url(keys.admissionKey) }),
    });
    return this.next((m) => (m.t === 'joined' || m.t === 'error') && m.room === keys.relayRoomIdB64);
  }

  /** Every retained envelope of the room, oldest first. */
  async history(keys: RelayRoomKeys): Promise<{ cursor: number; envelope: Uint8Array }[]> {
    const out: { cursor: number; envelope: Uint8Array }[] = [];
    let after = 0;
    for (;;) {
      const start = this.frames.length;
      this.send({ t: 'history', room: keys.relayRoomIdB64, after });
      const end = await this.next((m) => m.t === 'history-end' && m.room === keys.relayRoomIdB64);
      const page = this.frames.splice(start).filter((f) => f.kind === 'history');
      out.push(...page);
      if (end.more !== true || page.length === 0) return out;
      after = page[page.length - 1]!.cursor;
    }
  }

  private requestId = 1;

  async publish(keys: RelayRoomKeys, envelope: Uint8Array): Promise<Record<string, unknown>> {
    const id = this.requestId++;
    this.ws.send(encodePublish(id, keys.relayRoomId, envelope));
    return this.next((m) => (m.t === 'ack' || m.t === 'error') && m.id === id);
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Seals an inner plaintext for an epoch room as any member can (it holds the epoch's envelope
 * key): what an insider does to inject a crafted envelope (PROTOCOL B.10 outer layer).
 */
export async function sealAsMember(keys: EpochKeys, inner: Uint8Array): Promise<Uint8Array> {
  const header = new Uint8Array([2, 1]);
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const aad = new Uint8Array([...header, ...keys.context]);
  const ciphertext = new Uint8Array(
    await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, keys.envelopeKey, inner as Uint8Array<ArrayBuffer>),
  );
  return new Uint8Array([...header, ...iv, ...ciphertext]);
}

/** The inner plaintext of a sealed envelope of an epoch room, as a member reads it. */
export async function innerOf(keys: EpochKeys, envelope: Uint8Array): Promise<Uint8Array> {
  const iv = Uint8Array.from(envelope.subarray(2, 14));
  const aad = new Uint8Array([...envelope.subarray(0, 2), ...keys.context]);
  return new Uint8Array(
    await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, keys.envelopeKey, Uint8Array.from(envelope.subarray(14))),
  );
}
