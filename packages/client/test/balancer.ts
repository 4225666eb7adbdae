/**
 * A TCP load balancer for tests: each new connection goes to the next backend in turn
 * (round-robin), skipping backends that refuse it, as a proxy in front of several relay
 * processes does. When either side closes, the other is closed too, so a killed relay
 * drops its clients and their reconnects land on a live one.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

const LOOPBACK = '127.0.0.1';

export class Balancer {
  private next = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly backends: () => readonly number[],
    readonly port: number,
  ) {}

  /** Listens on a free loopback port; `backends` is read at every new connection. */
  static async start(backends: () => readonly number[]): Promise<Balancer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, () => resolve()));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('balancer has no port');
    const balancer = new Balancer(server, backends, address.port);
    server.on('connection', (client) => balancer.route(client));
    return balancer;
  }

  /** The relay's web address through the balancer. */
  get url(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://${LOOPBACK}:${this.port}/ws`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(client: Socket, tried = 0): void {
    const ports = this.backends();
    if (tried >= ports.length || client.destroyed) {
      client.destroy();
      return;
    }
    const port = ports[this.next++ % ports.length]!;
    const upstream = createConnection({ host: LOOPBACK, port });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.sockets.add(client);
      this.sockets.add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => {
      if (!connected) this.route(client, tried + 1);
    });
    client.on('error', () => upstream.destroy());
    const closeBoth = (): void => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', () => {
      if (connected) closeBoth();
    });
    client.on('close', () => {
      if (connected) closeBoth();
      else upstream.destroy();
    });
  }
}
