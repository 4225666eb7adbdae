import { describe, expect, it } from 'vitest';
import { RefusalReason } from '../src/index.js';
import { Bystanders, expectJoined, newRoom, TestClient } from './helpers/client.js';
import { refusals } from './helpers/http.js';
import { useRelays } from './helpers/relay.js';

// Long enough that an answering client on a loaded CI machine (event loop stalled for a few
// hundred ms) still pongs in time: at 100 ms, the bystanders were dropped too under load.
const HEARTBEAT_MS = 1_000;
/** "Several intervals later". */
const SEVERAL_INTERVALS_MS = 2.5 * HEARTBEAT_MS;

describe('heartbeat', () => {
  const { start, track } = useRelays();

  it('terminates a peer that stops answering pings, and keeps those that answer', async () => {
    const relay = await start({ limits: { heartbeatIntervalMs: HEARTBEAT_MS } });
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
    await new Promise((resolve) => setTimeout(resolve, SEVERAL_INTERVALS_MS));
    await bystanders.exchange();
    expect(relay.health().connections).toBe(2);
  });
});
