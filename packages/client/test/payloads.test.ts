import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePayload, encodePayload, MAX_TEXT_BYTES, type AppPayload } from '../src/payloads.js';
import { runInNewContext } from 'node:vm';
import { decodeDeliver, encodePublish, envelopeLength, parseServerMessage } from '../src/wire.js';
import { fromBase64Url, toBase64Url, utf8 } from '@sealroom/protocol';

const id16 = toBase64Url(new Uint8Array(16).fill(7));
const id32 = toBase64Url(new Uint8Array(32).fill(9));

describe('Part C payloads from untrusted members', () => {
  it('round-trips every payload type', () => {
    const payloads: AppPayload[] = [
      { t: 'text', id: id16, ts: 1, body: 'hi @Bob', mentions: [id32] },
      { t: 'presence', ts: 2, state: 'online' },
      { t: 'file-accept', ts: 3, file: id16 },
      { t: 'file-decline', ts: 4, file: id16 },
      { t: 'file-cancel', ts: 5, file: id16, code: 'TRANSFER_FAILED' },
    ];
    for (const payload of payloads) expect(decodePayload(encodePayload(payload))).toEqual(payload);
  });

  it('refuses wrong versions, lengths, ids and oversized bodies', () => {
    const bad = [
      { v: 2, t: 'text', id: id16, ts: 1, body: 'x', mentions: [] },
      { v: 1, t: 'text', id: 'short', ts: 1, body: 'x', mentions: [] },
      { v: 1, t: 'text', id: id16, ts: -1, body: 'x', mentions: [] },
      { v: 1, t: 'text', id: id16, ts: 1, body: 'x'.repeat(MAX_TEXT_BYTES + 1), mentions: [] },
      { v: 1, t: 'text', id: id16, ts: 1, body: 'x', mentions: ['not-an-id'] },
      { v: 1, t: 'presence', ts: 1, state: 'away' },
      { v: 1, t: 'unknown', ts: 1 },
      [1, 2, 3],
    ];
    for (const value of bad) expect(decodePayload(utf8(JSON.stringify(value)))).toBeUndefined();
    expect(decodePayload(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
  });

  it('never throws on arbitrary bytes or JSON', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => void decodePayload(bytes)));
    fc.assert(fc.property(fc.jsonValue(), (value) => void decodePayload(utf8(JSON.stringify(value)))));
    fc.assert(fc.property(fc.string(), (text) => void parseServerMessage(text)));
    fc.assert(fc.property(fc.jsonValue(), (value) => void parseServerMessage(JSON.stringify(value))));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => void decodeDeliver(bytes)));
  });

  it('a publish frame from an envelope in pieces is the frame of the whole envelope', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }), (pieces) => {
        const room = new Uint8Array(32).fill(3);
        const whole = new Uint8Array(pieces.flatMap((piece) => [...piece]));
        expect(encodePublish(7, room, pieces)).toEqual(encodePublish(7, room, whole));
      }),
    );
  });

  it('a byte array from another realm is one envelope, not a list of pieces', () => {
    const room = new Uint8Array(32).fill(3);
    const foreign = runInNewContext('new Uint8Array([1, 2, 3])') as Uint8Array;
    expect(foreign instanceof Uint8Array).toBe(false);
    expect(envelopeLength(foreign)).toBe(3);
    expect(encodePublish(7, room, foreign)).toEqual(encodePublish(7, room, new Uint8Array([1, 2, 3])));
  });

  it('base64url is canonical and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
    );
    expect(fromBase64Url('AB')).toBeUndefined(); // non-zero leftover bits
    expect(fromBase64Url('A')).toBeUndefined();
    expect(fromBase64Url('a+b/')).toBeUndefined();
  });
});
