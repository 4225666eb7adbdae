/**
 * Issue 14's fault suite: a half-open link. A member reaches the relay through a loopback
 * TCP proxy that suddenly stops forwarding without closing anything (a NAT that forgot
 * the flow, a dead Wi-Fi): no close frame, no FIN, no RST. The client's keepalive notices
 * the missing pong, the relay's heartbeat notices the missing pong on its side, the client
 * reconnects (through the proxy, which forwards new connections), and everything published
 * meanwhile arrives, once, in order. The keepalive runs on an injected clock.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startRelay } from '@sealroom/relay';
import { randomBytes } from '@sealroom/protocol';
import type { ConnectionState, WebSocketConstructor } from '../src/index.js';
import { RelayConnection } from '../src/transport.js';
import { skippableClock } from './helpers.js';
import { RecordingBinding } from './recording-binding.js';

/** The relay pings this often and drops a peer that missed one, ms (real time). */
const RELAY_HEARTBEAT_MS = 200;
/** Steps of the injected clock through the client's keepalive interval and timeout (20 s + 10 s, keepalive.ts). */
const KEEPALIVE_STEP_MS = 5_000;

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A TCP proxy on loopback; `freeze()` stops forwarding on every open link without closing it. */
class FreezableProxy {
  private readonly links: { client: Socket; upstream: Socket }[] = [];
  private readonly frozen: Socket[] = [];
  private readonly server: Server;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      this.links.push({ client, upstream });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  /** Every link open now goes silent both ways: bytes are read and dropped, nothing closes. */
  freeze(): void {
    for (const { client, upstream } of this.links.splice(0)) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      // Keep reading (so nothing pushes back), forward nothing, and never say it ended.
      for (const socket of [client, upstream]) {
        socket.removeAllListeners('end');
        socket.on('data', () => {});
        this.frozen.push(socket);
      }
    }
  }

  async close(): Promise<void> {
    for (const socket of [...this.frozen, ...this.links.flatMap((link) => [link.client, link.upstream])]) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a half-open link', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('is noticed by the keepalive and the relay’s heartbeat, recovered, and nothing published meanwhile is lost', async () => {
    const relay = await startRelay({ port: 0, logLevel: 'silent', limits: { heartbeatIntervalMs: RELAY_HEARTBEAT_MS } });
    cleanup.push(() => relay.close());
    const proxy = await new FreezableProxy(relay.port).listen();
    cleanup.push(() => proxy.close());
    const clock = skippableClock();
    const states: ConnectionState[] = [];
    const connect = (url: string, onState: (state: ConnectionState) => void = () => {}) => {
      const connection = new RelayConnection({
        url,
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        clock,
        baseDelayMs: 100,
        maxDelayMs: 1_000,
        onState,
        onRelayError() {},
      });
      cleanup.push(() => connection.close());
      return connection;
    };
    const roomBytes = randomBytes(32);
    const key = randomBytes(32);
    const writer = new RecordingBinding(roomBytes, key);
    const reader = new RecordingBinding(roomBytes, key);
    const direct = connect(relay.wsUrl);
    const behindProxy = connect(`ws://127.0.0.1:${proxy.port}/ws`, (state) => states.push(state));
    direct.addRoom(writer);
    behindProxy.addRoom(reader);
    await until('both ready', () => direct.isReady(writer.roomId) && behindProxy.isReady(reader.roomId));
    await direct.publish(writer.roomId, new TextEncoder().encode('before'));
    await until('delivered before the fault', () => reader.texts().length === 1);

    proxy.freeze();
    const during = ['while the link was dead 1', 'while the link was dead 2', 'while the link was dead 3'];
    for (const text of during) await direct.publish(writer.roomId, new TextEncoder().encode(text));
    // The relay's heartbeat drops its side (a peer that missed a pong)...
    await until('the relay dropped the silent peer', async () => {
      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      return Number(/sealroom_refusals_total\{reason="HEARTBEAT_TIMEOUT"\} (\d+)/.exec(metrics)?.[1] ?? 0) >= 1;
    });
    // ...while nothing arrives over the dead link, and nothing tells the client so.
    expect(reader.texts()).toEqual(['before']);
    expect(states.at(-1)).toBe('open');

    // The client's keepalive: a ping after a quiet interval, no pong within its timeout,
    // the link is given up and opened again.
    await until('reconnecting', () => {
      clock.advance(KEEPALIVE_STEP_MS);
      return states.includes('reconnecting');
    });
    await until('caught up after reconnecting', () => {
      clock.advance(1_000);
      return reader.texts().length === 1 + during.length;
    });
    expect(reader.texts()).toEqual(['before', ...during]);
    expect(reader.cursors()).toEqual([1, 2, 3, 4]);
    expect(reader.handed.some((handed) => handed.kind === 'gap' || handed.kind === 'reset')).toBe(false);
    await direct.publish(writer.roomId, new TextEncoder().encode('after'));
    await until('live again', () => reader.texts().at(-1) === 'after');
    expect(states.at(-1)).toBe('open');
  });
});
