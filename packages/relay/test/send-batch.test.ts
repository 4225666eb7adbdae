import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { SendBatch } from '../src/send-batch.js';
import { allocWsFrame, wsPayloadOffset } from '../src/ws-frame.js';
import { KIB } from '@sealroom/units';

/** A connected pair: the server side (what the relay sends on) and a client collecting text frames. */
async function pair(): Promise<{ server: WebSocket; socket: Socket; received: string[]; closed: Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  open.push(wss);
  await new Promise((resolve) => wss.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on('message', (data: Buffer, isBinary: boolean) => received.push(isBinary ? `binary:${data.toString()}` : data.toString()));
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await new Promise((resolve) => client.once('open', resolve));
  const server = await accepted;
  return { server, socket: (server as unknown as { _socket: Socket })._socket, received, closed };
}

const open: WebSocketServer[] = [];
afterEach(async () => {
  for (const wss of open.splice(0)) {
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SendBatch', () => {
  it('holds a turn’s frames in one corked write and delivers them all, in order, after the turn', async () => {
    const { server, socket, received } = await pair();
    const batch = new SendBatch();
    for (let i = 0; i < 50; i++) batch.send(server, `frame ${i}`);
    expect(socket.writableCorked).toBe(1);
    expect(server.bufferedAmount).toBeGreaterThan(0); // the slow-consumer check sees held frames
    await nextTurn();
    expect(socket.writableCorked).toBe(0);
    await expect.poll(() => received.length).toBe(50);
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `frame ${i}`));
  });

  it('writes at once when a turn’s frames pass the flush size, so the batch stays small beside maxBufferedBytes', async () => {
    const { server, socket, received } = await pair();
    const batch = new SendBatch();
    batch.send(server, 'x'.repeat(20 * KIB));
    expect(socket.writableCorked).toBe(0);
    batch.send(server, 'small');
    expect(socket.writableCorked).toBe(1);
    await nextTurn();
    expect(socket.writableCorked).toBe(0);
    await expect.poll(() => received.length).toBe(2);
  });

  it('passes over a socket destroyed while corked, and goes on batching for the others', async () => {
    const a = await pair();
    const b = await pair();
    const batch = new SendBatch();
    batch.send(a.server, 'lost');
    batch.send(b.server, 'kept');
    a.server.terminate();
    await nextTurn();
    await a.closed;
    await expect.poll(() => b.received).toEqual(['kept']);
    batch.send(b.server, 'again');
    await expect.poll(() => b.received).toEqual(['kept', 'again']);
  });

  it('writes frames built whole as binary messages, in order with the other sends of the turn', async () => {
    const { server, socket, received } = await pair();
    const batch = new SendBatch();
    const framed = (text: string) => {
      const frame = allocWsFrame(Buffer.byteLength(text), Buffer.allocUnsafe);
      frame.write(text, wsPayloadOffset(frame));
      return frame;
    };
    const big = 'y'.repeat(70 * KIB);
    batch.send(server, 'text 1');
    batch.sendFrame(server, framed('frame 1'));
    batch.send(server, 'text 2');
    batch.sendFrame(server, framed(big));
    batch.sendFrame(server, framed('frame 2'));
    expect(socket.writableCorked).toBe(1);
    await nextTurn();
    await expect.poll(() => received.length).toBe(5);
    expect(received).toEqual(['text 1', 'binary:frame 1', 'text 2', `binary:${big}`, 'binary:frame 2']);
  });
});
