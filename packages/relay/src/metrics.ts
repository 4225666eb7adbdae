import { Counter, Gauge, Registry } from 'prom-client';
import type { RefusalCode } from './errors.js';
import type { StoreStats } from './store.js';

/**
 * Plain counters bumped on the hot path (a property increment per envelope); the
 * Prometheus objects read them only when /metrics is scraped.
 */
export class RelayCounters {
  connections = 0;
  envelopesIn = 0;
  bytesIn = 0;
  envelopesOut = 0;
  bytesOut = 0;
  readonly refusals = new Map<RefusalCode, number>();

  refuse(reason: RefusalCode): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }
}

interface MetricsSources {
  counters: RelayCounters;
  localRooms: () => number;
  storeStats: () => StoreStats;
}

/**
 * A private registry (never prom-client's global one, so several relays in one process
 * and other libraries do not collide). Labels never carry room ids or content: only
 * the refusal `reason`, which is one of a fixed set of codes.
 */
export function createMetrics({ counters, localRooms, storeStats }: MetricsSources): Registry {
  const registry = new Registry();
  const total = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge('sealroom_connections', 'Open WebSocket connections.', () => counters.connections);
  gauge('sealroom_rooms', 'Rooms with at least one connection on this relay.', localRooms);
  gauge('sealroom_store_rooms', 'Rooms the room store knows (with retained state).', () => storeStats().rooms);
  total('sealroom_envelopes_in_total', 'Envelopes accepted from clients.', () => counters.envelopesIn);
  total('sealroom_envelope_bytes_in_total', 'Envelope bytes accepted from clients.', () => counters.bytesIn);
  total('sealroom_envelopes_out_total', 'Envelopes sent to clients (live and replayed).', () => counters.envelopesOut);
  total('sealroom_envelope_bytes_out_total', 'Envelope bytes sent to clients.', () => counters.bytesOut);
  gauge('sealroom_retained_envelopes', 'Envelopes held in retention logs.', () => storeStats().retainedEnvelopes);
  gauge('sealroom_retained_bytes', 'Envelope bytes held in retention logs.', () => storeStats().retainedBytes);
  gauge('sealroom_store_up', '1 when the room store backend is reachable.', () => (storeStats().backendUp ? 1 : 0));
  new Counter({
    name: 'sealroom_refusals_total',
    help: 'Refused messages, upgrades and cut connections, by reason code.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of counters.refusals) this.inc({ reason }, count);
    },
  });
  return registry;
}
