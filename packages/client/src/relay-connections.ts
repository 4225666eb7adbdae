/**
 * One relay connection per relay endpoint, shared by every room on that relay: opened on
 * first use, reporting its state and the relay's errors as client events.
 */
import type { ConnectionState, SealroomClientOptions } from './api.js';
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS } from './backoff.js';
import type { EventHub } from './events.js';
import type { Clock } from './platform.js';
import { toWebSocketUrl } from './relay-url.js';
import { RelayConnection } from './transport.js';

export class RelayConnections {
  private readonly byUrl = new Map<string, RelayConnection>();

  constructor(
    private readonly options: Pick<SealroomClientOptions, 'WebSocket' | 'reconnect' | 'relayUrl'>,
    private readonly clock: Clock,
    private readonly events: EventHub,
  ) {}

  /** The connection to `relayUrl` (a WebSocket endpoint), opened if there is none. */
  for(relayUrl: string): RelayConnection {
    let connection = this.byUrl.get(relayUrl);
    if (connection === undefined) {
      connection = new RelayConnection({
        url: relayUrl,
        WebSocket: this.options.WebSocket,
        clock: this.clock,
        baseDelayMs: this.options.reconnect?.baseDelayMs ?? DEFAULT_BACKOFF_BASE_MS,
        maxDelayMs: this.options.reconnect?.maxDelayMs ?? DEFAULT_BACKOFF_MAX_MS,
        onState: (state, retryInMs) => this.events.emit('connection', { relayUrl, state, retryInMs }),
        onRelayError: (code, message) => this.events.emit('warning', { kind: 'relay-error', roomId: null, member: null, code, detail: message }),
      });
      this.byUrl.set(relayUrl, connection);
    }
    return connection;
  }

  /** Closes and forgets the connection to `relayUrl` (no room uses it any more). */
  drop(relayUrl: string): void {
    this.byUrl.get(relayUrl)?.close();
    this.byUrl.delete(relayUrl);
  }

  /** The state of the connection to `relayUrl` (default: the client's relay), `offline` if none. */
  state(relayUrl?: string): ConnectionState {
    return this.byUrl.get(toWebSocketUrl(relayUrl ?? this.options.relayUrl))?.state ?? 'offline';
  }

  closeAll(): void {
    for (const connection of this.byUrl.values()) connection.close();
    this.byUrl.clear();
  }
}
