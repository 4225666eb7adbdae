/** Files v2 (manifest without digest, chunk form, digest trailer) and invite links v2. */
import { describe, expect, it } from 'vitest';
import {
  FILE_CHUNK_OVERHEAD_BYTES,
  FileDigest,
  createFileManifest,
  decodeFileDigest,
  decodeFileManifest,
  encodeFileDigest,
  encodeFileManifest,
  formatInvite,
  importFileKey,
  openFileChunk,
  parseInvite,
  peekFileChunk,
  peekSealed,
  relayWebSocketUrl,
  sealFileChunk,
  sealFileChunkParts,
  deriveLobbyKeys,
} from '../src/index.js';
import { enc, flip } from './v2-fixtures.js';

describe('files v2', () => {
  const data = enc('0123456789abcdefghij'); // 20 bytes in chunks of 8: 8, 8, 4

  it('manifest round trip; no digest in it; strict decoding', () => {
    const manifest = createFileManifest({ name: 'notes.txt', type: 'text/plain', size: data.length, chunkSize: 8 });
    expect(manifest.chunkCount).toBe(3);
    const bytes = encodeFileManifest(manifest);
    expect(bytes[0]).toBe(2);
    expect(bytes.length).toBe(1 + 16 + 8 + 4 + 4 + 32 + 2 + 9 + 2 + 10);
    expect(decodeFileManifest(bytes)).toMatchObject({ ok: true, manifest });
    expect(decodeFileManifest(flip(bytes, 0, 0x03))).toMatchObject({ ok: false, code: 'BAD_VERSION' });
    expect(decodeFileManifest(bytes.subarray(0, -1))).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
    const inconsistent = bytes.slice();
    inconsistent[1 + 16 + 8 + 4 + 3] = 9; // chunk count 9 for 20 bytes in chunks of 8
    expect(decodeFileManifest(inconsistent)).toMatchObject({ ok: false, code: 'BAD_ENCODING' });
  });

  it('chunks open under the file key; every tampering fails; the trailer carries the digest', async () => {
    const manifest = createFileManifest({ name: 'f', type: 'x/y', size: data.length, chunkSize: 8 });
    const fileKey = await importFileKey(manifest);
    const chunks = await Promise.all(
      [0, 1, 2].map((index) => sealFileChunk({ manifest, fileKey, index, data: data.subarray(index * 8, index * 8 + (index === 2 ? 4 : 8)) })),
    );
    expect(chunks[0]!.length).toBe(8 + FILE_CHUNK_OVERHEAD_BYTES);
    expect(peekFileChunk(chunks[1]!)).toMatchObject({ ok: true, index: 1, fileId: manifest.fileId });
    const parts = await sealFileChunkParts({ manifest, fileKey, index: 2, data: data.subarray(16) });
    expect(await openFileChunk({ manifest, fileKey, envelope: new Uint8Array([...parts[0], ...parts[1]]) })).toMatchObject({ ok: true, index: 2 });
    const digest = new FileDigest(manifest.size, manifest.chunkSize);
    for (const envelope of chunks) {
      const opened = await openFileChunk({ manifest, fileKey, envelope });
      if (!opened.ok) throw new Error(opened.code);
      await digest.add(opened.index, opened.data);
    }
    const trailer = encodeFileDigest({ fileId: manifest.fileId, digest: (await digest.finish())! });
    expect(trailer.length).toBe(49);
    expect(decodeFileDigest(trailer)).toMatchObject({ ok: true, fileId: manifest.fileId });
    expect(decodeFileDigest(trailer.subarray(1))).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
    expect(decodeFileDigest(flip(trailer, 0, 0x02))).toMatchObject({ ok: false, code: 'BAD_VERSION' });

    const c = chunks[0]!;
    expect(await openFileChunk({ manifest, fileKey, envelope: flip(c, 0) })).toMatchObject({ ok: false, code: 'BAD_VERSION' });
    expect(await openFileChunk({ manifest, fileKey, envelope: flip(c, 1, 0x03) })).toMatchObject({ ok: false, code: 'BAD_TYPE' });
    expect(await openFileChunk({ manifest, fileKey, envelope: flip(c, 2) })).toMatchObject({ ok: false, code: 'WRONG_FILE' });
    const moved = c.slice();
    moved[21] = 1; // index 0 → 1: bound by the AAD
    expect(await openFileChunk({ manifest, fileKey, envelope: moved })).toMatchObject({ ok: false, code: 'BAD_TAG' });
    moved[21] = 7; // beyond the chunk count
    expect(await openFileChunk({ manifest, fileKey, envelope: moved })).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
    expect(await openFileChunk({ manifest, fileKey, envelope: flip(c, -1) })).toMatchObject({ ok: false, code: 'BAD_TAG' });
    expect(await openFileChunk({ manifest, fileKey, envelope: c.subarray(0, 40) })).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
    const otherKey = await importFileKey(createFileManifest({ name: 'g', type: 'x/y', size: 1 }));
    expect(await openFileChunk({ manifest, fileKey: otherKey, envelope: c })).toMatchObject({ ok: false, code: 'BAD_TAG' });
    // A chunk is no sealed envelope, and a sealed envelope no chunk.
    expect(await peekSealed(await deriveLobbyKeys(new Uint8Array(32)), c)).toMatchObject({ ok: false, code: 'BAD_TYPE' });
    await expect(sealFileChunk({ manifest, fileKey, index: 2, data: data.subarray(0, 8) })).rejects.toThrow(RangeError);
  });
});

describe('invite links v2', () => {
  const roomId = new Uint8Array(32).map((_, i) => i);
  const linkSecret = new Uint8Array(32).map((_, i) => 255 - i);

  it('round-trip with everything in the fragment', () => {
    const url = formatInvite({
      baseUrl: 'https://chat.example/app?x=1#old',
      roomId,
      linkSecret,
      relayUrl: 'https://relay.example:8443/',
      roomName: 'Incident #42 ✓',
      approval: true,
    });
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname + parsed.search).toBe('https://chat.example/app?x=1');
    expect(parsed.hash.startsWith('#v=2&i=')).toBe(true);
    expect(parseInvite(url)).toMatchObject({
      ok: true,
      invite: { roomId, linkSecret, relayUrl: 'https://relay.example:8443/', roomName: 'Incident #42 ✓', approval: true },
      baseUrl: 'https://chat.example/app?x=1',
    });
    expect(parseInvite(formatInvite({ baseUrl: 'https://chat.example/', roomId, linkSecret, approval: false }))).toMatchObject({
      ok: true,
      invite: { approval: false },
    });
  });

  it('strict parsing with one code per defect', () => {
    const i = Buffer.from(roomId).toString('base64url');
    const s = Buffer.from(linkSecret).toString('base64url');
    const base = 'https://chat.example/#';
    expect(parseInvite('not a url')).toMatchObject({ code: 'NOT_A_URL' });
    expect(parseInvite('ftp://chat.example/#v=2')).toMatchObject({ code: 'NOT_A_URL' });
    expect(parseInvite('https://chat.example/')).toMatchObject({ code: 'NO_FRAGMENT' });
    expect(parseInvite(`${base}v=2&i=${i}&s=${s}&c=x`)).toMatchObject({ code: 'UNKNOWN_FIELD' });
    expect(parseInvite(`${base}v=2&i=${i}&s=${s}&s=${s}`)).toMatchObject({ code: 'DUPLICATE_FIELD' });
    // A real v1 link (with its creator field) is recognised as one.
    expect(parseInvite(`${base}v=1&s=${s}&c=${i}&n=Old`)).toMatchObject({ code: 'OLD_VERSION' });
    expect(parseInvite(`${base}v=2&i=${i}&s=${s}&v=1`)).toMatchObject({ code: 'OLD_VERSION' });
    expect(parseInvite(`${base}v=3&i=${i}&s=${s}`)).toMatchObject({ code: 'BAD_VERSION' });
    expect(parseInvite(`${base}v=2&i=${i.slice(1)}&s=${s}`)).toMatchObject({ code: 'BAD_ROOM_ID' });
    expect(parseInvite(`${base}v=2&i=${i}&s=${s}A`)).toMatchObject({ code: 'BAD_SECRET' });
    expect(parseInvite(`${base}v=2&i=${i}&s=${s}&r=${encodeURIComponent('ftp://x/')}`)).toMatchObject({ code: 'BAD_RELAY_URL' });
    expect(parseInvite(`${base}v=2&i=${i}&s=${s}&n=${encodeURIComponent('a\u202eb')}`)).toMatchObject({ code: 'BAD_ROOM_NAME' });
    expect(parseInvite(`${base}v=2&i=${i}&s=${s}&p=b`)).toMatchObject({ code: 'UNKNOWN_FIELD' });
  });

  it('the WebSocket endpoint of a relay address (§B.5)', () => {
    expect(relayWebSocketUrl('https://relay.example/')).toEqual({ ok: true, url: 'wss://relay.example/ws' });
    expect(relayWebSocketUrl('https://relay.example')).toEqual({ ok: true, url: 'wss://relay.example/ws' });
    expect(relayWebSocketUrl('http://127.0.0.1:8787')).toEqual({ ok: true, url: 'ws://127.0.0.1:8787/ws' });
    expect(relayWebSocketUrl('https://example.org/chat/')).toEqual({ ok: true, url: 'wss://example.org/chat/ws' });
    expect(relayWebSocketUrl('https://example.org/chat?x=1')).toEqual({ ok: true, url: 'wss://example.org/chat/ws?x=1' });
    expect(relayWebSocketUrl('wss://relay.example/custom')).toEqual({ ok: true, url: 'wss://relay.example/custom' });
    expect(relayWebSocketUrl('ftp://relay.example/')).toMatchObject({ ok: false, code: 'BAD_RELAY_URL' });
    expect(relayWebSocketUrl('https://user:pw@relay.example/')).toMatchObject({ ok: false, code: 'BAD_RELAY_URL' });
  });
});
