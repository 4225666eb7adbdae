/** Which address a connection counts under: IPv6 by /64, and X-Forwarded-For only from a listed proxy. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addressGroup, ClientAddresses, invalidProxyEntry } from '../src/client-address.js';
import { useRelays } from './helpers/relay.js';
import { TestClient } from './helpers/client.js';

const request = (remoteAddress: string, forwardedFor?: string | string[]): IncomingMessage =>
  ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('addressGroup', () => {
  it('keeps IPv4 as it is, IPv4-mapped IPv6 as the IPv4 inside', () => {
    expect(addressGroup('192.0.2.7')).toBe('192.0.2.7');
    expect(addressGroup('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressGroup('::FFFF:c000:207')).toBe('192.0.2.7');
  });

  it('groups IPv6 by /64, whatever the spelling', () => {
    const group = '2001:db8:1:2::/64';
    for (const address of [
      '2001:db8:1:2::1',
      '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
      '2001:DB8:1:2:0:0:0:0',
      '2001:db8:1:2::192.0.2.1',
      '2001:db8:1:2::1%eth0',
    ]) {
      expect(addressGroup(address), address).toBe(group);
    }
    expect(addressGroup('2001:db8:1:3::1')).not.toBe(group);
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('fe80::1')).toBe('fe80:0:0:0::/64');
  });

  it('leaves what is not an IP address alone', () => {
    expect(addressGroup('unknown')).toBe('unknown');
  });
});

describe('ClientAddresses', () => {
  it('ignores X-Forwarded-For unless the peer is a listed proxy', () => {
    expect(new ClientAddresses().of(request('192.0.2.1', '203.0.113.9'))).toBe('192.0.2.1');
    expect(new ClientAddresses(['10.0.0.1']).of(request('192.0.2.1', '203.0.113.9'))).toBe('192.0.2.1');
  });

  it('takes the last hop from a listed proxy (an address, a range, an IPv4-mapped peer)', () => {
    const addresses = new ClientAddresses(['10.0.0.1', 'fd00::/8', '172.16.0.0/12']);
    // The client may put anything first; the last hop is the one the proxy appended.
    expect(addresses.of(request('10.0.0.1', '198.51.100.1, 203.0.113.9'))).toBe('203.0.113.9');
    expect(addresses.of(request('::ffff:10.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
    expect(addresses.of(request('172.20.3.4', ['198.51.100.1', '2001:db8:5:6::7']))).toBe('2001:db8:5:6::/64');
    expect(addresses.of(request('fd12::1', '[2001:db8::1]'))).toBe('2001:db8:0:0::/64');
    // No usable hop: the proxy's own address.
    expect(addresses.of(request('10.0.0.1'))).toBe('10.0.0.1');
    expect(addresses.of(request('10.0.0.1', 'not-an-address'))).toBe('10.0.0.1');
  });

  it('says which --trust-proxy entry is not an address or a range', () => {
    expect(invalidProxyEntry(['10.0.0.1', '::1', '10.0.0.0/8', 'fd00::/8'])).toBeUndefined();
    expect(invalidProxyEntry(['10.0.0.1', 'proxy.example'])).toBe('proxy.example');
    expect(invalidProxyEntry(['10.0.0.0/33'])).toBe('10.0.0.0/33');
    expect(invalidProxyEntry(['::/129'])).toBe('::/129');
  });
});

describe('per-address limits behind a proxy', () => {
  const { start, track } = useRelays();

  it('counts connections by the forwarded address only when the peer is trusted', async () => {
    const forwarded = (address: string) => ({ headers: { 'X-Forwarded-For': address } });
    const trusting = await start({ trustProxy: ['127.0.0.1'], limits: { maxConnectionsPerAddress: 1 } });
    track(await TestClient.connect(trusting.wsUrl, forwarded('203.0.113.1')));
    track(await TestClient.connect(trusting.wsUrl, forwarded('203.0.113.2')));
    await expect(TestClient.connect(trusting.wsUrl, forwarded('203.0.113.1'))).rejects.toThrow(/429/);

    // Not a listed proxy: the header is the client's say-so, and is ignored.
    const plain = await start({ limits: { maxConnectionsPerAddress: 1 } });
    track(await TestClient.connect(plain.wsUrl, forwarded('203.0.113.1')));
    await expect(TestClient.connect(plain.wsUrl, forwarded('203.0.113.2'))).rejects.toThrow(/429/);
  });
});
