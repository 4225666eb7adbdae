/**
 * Frames the relay builds itself (ws-frame.ts) must be byte for byte what `ws` would have
 * written for the same payload: its own `Sender.frame` is the reference, at every length
 * where the header changes shape.
 */
import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { allocWsFrame, wsHeaderBytes, wsPayload, wsPayloadOffset } from '../src/ws-frame.js';

/** `ws`'s own framing (lib/sender.js), which @types/ws does not declare. */
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] };
};

/** What `ws.send(payload, { binary: true })` on a server socket writes, header and payload. */
function wsReference(payload: Buffer): Buffer {
  const parts = Sender.frame(payload, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: false });
  return Buffer.concat(parts);
}

describe('relay-built WebSocket frames', () => {
  it.each([0, 1, 125, 126, 127, 1_066, 65_535, 65_536, 300_000])('matches ws for a %i-byte payload', (length) => {
    const payload = Buffer.alloc(length);
    for (let i = 0; i < length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const frame = allocWsFrame(length, Buffer.alloc);
    payload.copy(frame, wsPayloadOffset(frame));
    expect(frame.equals(wsReference(payload))).toBe(true);
    expect(wsHeaderBytes(length)).toBe(wsPayloadOffset(frame));
    expect(wsPayload(frame).equals(payload)).toBe(true);
  });

  it('uses the shortest header the length allows', () => {
    expect([125, 126, 65_535, 65_536].map(wsHeaderBytes)).toEqual([2, 4, 4, 10]);
  });
});
