import { describe, expect, it } from 'vitest';
import { Bystanders, TestClient } from './helpers/client.js';
import { rawRequest, statusOf, upgradeRequest } from './helpers/http.js';
import { useRelays } from './helpers/relay.js';

describe('ws CVE regressions', () => {
  const { start, track } = useRelays();

  it('CVE-2024-37890: an upgrade with 2,000 headers is refused, not a crash', async () => {
    const relay = await start();
    const bystanders = track(await Bystanders.start(relay.wsUrl));
    // The original crash needed the headers to push Sec-WebSocket-Key past Node's
    // maxHeadersCount, so put the filler first.
    const filler = Array.from({ length: 2000 }, (_, i) => `a${i}: b`);
    const request = [
      'GET /ws HTTP/1.1',
      `Host: 127.0.0.1:${relay.port}`,
      ...filler,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n');
    expect(statusOf(await rawRequest(relay.port, request))).toBe(431);
    expect(statusOf(await rawRequest(relay.port, request))).toBe(431);
    await bystanders.exchange();
    track(await TestClient.connect(relay.wsUrl));
  });

  it('CVE-2021-32640: a huge Sec-WebSocket-Protocol header is refused quickly, not a hang', async () => {
    const relay = await start();
    const bystanders = track(await Bystanders.start(relay.wsUrl));
    // The ReDoS input: many spaces without a token. Past maxHeaderBytes it is a 431;
    // just under it, ws's linear parser answers 400 at once.
    const huge = `Sec-WebSocket-Protocol: b${' '.repeat(100_000)}x`;
    expect(statusOf(await rawRequest(relay.port, upgradeRequest(relay.port, [huge])))).toBe(431);
    const underLimit = `Sec-WebSocket-Protocol: b${' '.repeat(15_000)}x`;
    expect(statusOf(await rawRequest(relay.port, upgradeRequest(relay.port, [underLimit])))).toBe(400);
    await bystanders.exchange();
    // A sane subprotocol list still upgrades.
    track(await TestClient.connect(relay.wsUrl, { protocols: ['sealroom.v1'] } as never));
  });
});
