/**
 * A malicious relay in front of a real one (issue 13, attack 3): a WebSocket proxy that
 * forwards everything both ways, except relay → client envelope frames (DELIVER and
 * HISTORY) that its current filter says to withhold. Withheld frames are dropped, not
 * delayed: a member behind it learns of them only if it asks for history again after the
 * filter is lifted. Point a client at it by replacing the origin of an invite link.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { decodeDeliver } from '../src/wire.js';

/** What the proxy sees of one envelope frame on its way to the client. */
export interface DeliveredFrame {
  /** Relay room id, base64url. */
  room: string;
  cursor: number;
  envelope: Uint8Array;
  kind: 'deliver' | 'history';
}

export class WithholdingProxy {
  /** Return true to drop the frame. */
  withhold: (frame: DeliveredFrame) => boolean = () => false;
  /** Frames dropped so far. */
  readonly dropped: DeliveredFrame[] = [];
  private readonly sockets = new Set<WebSocket>();

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  /** A proxy in front of `relayWsUrl`, listening on a free loopback port. */
  static async start(relayWsUrl: string): Promise<WithholdingProxy> {
    const server = createServer((_, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ server, path: '/ws' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const proxy = new WithholdingProxy(server, wss, `http://127.0.0.1:${port}`);
    wss.on('connection', (client) => proxy.pipe(client, relayWsUrl));
    return proxy;
  }

  /** `link` with its origin replaced by the proxy's, so the client behind it connects here. */
  rewrite(link: string): string {
    const url = new URL(link);
    const proxy = new URL(this.url);
    url.protocol = proxy.protocol;
    url.host = proxy.host;
    return url.toString();
  }

  /** Cuts every client connection: clients reconnect and catch up through the proxy. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: WebSocket, relayWsUrl: string): void {
    const upstream = new WebSocket(relayWsUrl);
    this.sockets.add(client);
    const pending: [WebSocket.RawData, boolean][] = [];
    upstream.on('open', () => {
      for (const [data, binary] of pending.splice(0)) upstream.send(data, { binary });
    });
    client.on('message', (data, binary) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
      else pending.push([data, binary]);
    });
    upstream.on('message', (data, binary) => {
      if (binary) {
        const bytes = new Uint8Array(data as Buffer);
        const frame = decodeDeliver(bytes);
        if (frame !== undefined) {
          const seen: DeliveredFrame = { room: frame.room, cursor: frame.cursor, envelope: frame.envelope.slice(), kind: frame.kind };
          if (this.withhold(seen)) {
            this.dropped.push(seen);
            return;
          }
        }
      }
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary });
    });
    const closeBoth = () => {
      this.sockets.delete(client);
      client.terminate();
      upstream.terminate();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  }
}
