import { describe, expect, it } from 'vitest';
import { RefusalReason } from '../src/index.js';
import { Bystanders, expectJoined, newRoom, TestClient } from './helpers/client.js';
import { refusals } from './helpers/http.js';
import { useRelays } from './helpers/relay.js';

describe('heartbeat', () => {
  const { start, track } = useRelays();

  it('terminates a peer that stops answering pings, and keeps those that answer', async () => {
    const relay = await start({ limits: { heartbeatIntervalMs: 100 } });
    const bystanders = track(await Bystanders.start(relay.wsUrl));
    // autoPong off: this client's WebSocket layer never answers the relay's pings.
    const silent = track(await TestClient.connect(relay.wsUrl, { autoPong: false }));
    expectJoined(await silent.join(newRoom()));
    let pings = 0;
    silent.ws.on('ping', () => (pings += 1));
    const closed = await silent.closed;
    // Terminated without a close frame.
    expect(closed.code).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(await refusals(relay.url, RefusalReason.HEARTBEAT_TIMEOUT)).toBe(1);
    // Several intervals later the answering clients are still connected and working.
    await new Promise((resolve) => setTimeout(resolve, 350));
    await bystanders.exchange();
    expect(relay.health().connections).toBe(2);
  });
});
