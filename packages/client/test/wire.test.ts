/** The client's reading and writing of relay frames (PROTOCOL Part A, version 2), byte-exact. */
import { describe, expect, it } from 'vitest';
import { decodeRelayFrame, encodePublish, parseServerMessage } from '../src/wire.js';

const hex = (value: string) => Uint8Array.from(Buffer.from(value.replace(/ /g, ''), 'hex'));
const ROOM = 'A'.repeat(43);

describe('relay wire v2', () => {
  it('reads a 14-byte ACK: version, kind 0x04, u32 request id, u64 cursor', () => {
    expect(decodeRelayFrame(hex('02 04 fffffffe 001fffffffffffff'))).toEqual({ kind: 'ack', requestId: 0xffff_fffe, cursor: Number.MAX_SAFE_INTEGER });
    expect(decodeRelayFrame(hex('02 04 00000001 0000000000000007'))).toEqual({ kind: 'ack', requestId: 1, cursor: 7 });
    for (const bad of [
      '01 04 00000001 0000000000000007', // version 1
      '02 04 00000001 00000000000007', // short
      '02 04 00000001 0000000000000007 00', // long
      '02 04 00000001 0000000000000000', // cursor 0
      '02 04 00000001 0020000000000000', // past 2^53 − 1
      '02',
      '',
    ])
      expect(decodeRelayFrame(hex(bad)), bad).toBeUndefined();
  });

  it('reads DELIVER and HISTORY of version 2 only', () => {
    const room = '11'.repeat(32);
    expect(decodeRelayFrame(hex(`02 02 0000000000000003 ${room} abcd`))).toMatchObject({ kind: 'deliver', cursor: 3, envelope: hex('abcd') });
    expect(decodeRelayFrame(hex(`02 03 0000000000000003 ${room} ab`))).toMatchObject({ kind: 'history', cursor: 3 });
    expect(decodeRelayFrame(hex(`01 02 0000000000000003 ${room} abcd`))).toBeUndefined();
    expect(decodeRelayFrame(hex(`02 05 0000000000000003 ${room} abcd`))).toBeUndefined();
  });

  it('writes PUBLISH (0x01) and PUBLISH_PINNED (0x05) with the same layout', () => {
    const room = new Uint8Array(32).fill(0x22);
    const envelope = [hex('0102'), hex('03')];
    expect(Buffer.from(encodePublish(0x0a0b0c0d, room, envelope)).toString('hex')).toBe(`02010a0b0c0d${'22'.repeat(32)}010203`);
    expect(Buffer.from(encodePublish(1, room, hex('ff'), true)).toString('hex')).toBe(`020500000001${'22'.repeat(32)}ff`);
  });

  it('reads `joined` only with an epoch of 1–64 base64url characters, and no JSON `ack`', () => {
    const joined = (epoch: unknown) => parseServerMessage(JSON.stringify({ v: 2, t: 'joined', room: ROOM, head: 4, epoch }));
    expect(joined('k3J9-x_0')).toEqual({ t: 'joined', room: ROOM, head: 4, epoch: 'k3J9-x_0' });
    expect(joined('x'.repeat(64))).toMatchObject({ epoch: 'x'.repeat(64) });
    for (const bad of [undefined, '', 'x'.repeat(65), 'a b', 'a=', 7]) expect(joined(bad)).toBeUndefined();
    expect(parseServerMessage(JSON.stringify({ v: 1, t: 'joined', room: ROOM, head: 4, epoch: 'e' }))).toBeUndefined();
    expect(parseServerMessage(JSON.stringify({ v: 2, t: 'ack', room: ROOM, id: 1, cursor: 1 }))).toBeUndefined();
  });
});
