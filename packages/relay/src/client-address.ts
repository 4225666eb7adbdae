/**
 * Which address a connection counts under for per-address limits (docs/PROTOCOL.md A.8):
 * its peer's, or — when the peer is a reverse proxy the operator listed in
 * `--trust-proxy` — the last hop of `X-Forwarded-For`, which that proxy appended. A client
 * cannot pick its address by sending the header itself: only a listed proxy is believed.
 *
 * IPv6 addresses are grouped by their /64: one subscriber usually holds a whole /64 (often
 * more), so counting each address apart would give one host billions of budgets.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, isIPv4 } from 'node:net';

/** Hextets of an IPv6 address; the first four are its /64 network. */
const IPV6_HEXTETS = 8;
const NETWORK_HEXTETS = 4;
const IPV4_MAPPED_PREFIX = '::ffff:';
const HEXTET_BITS = 16;
const BYTE_BITS = 8;
const BYTE_MASK = 0xff;

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`), else undefined. */
function unmapped(address: string): string | undefined {
  const lower = address.toLowerCase();
  if (!lower.startsWith(IPV4_MAPPED_PREFIX)) return undefined;
  const rest = lower.slice(IPV4_MAPPED_PREFIX.length);
  if (isIPv4(rest)) return rest;
  // The hex spelling, ::ffff:c000:201.
  const parts = rest.split(':');
  if (parts.length !== 2 || !parts.every((part) => /^[0-9a-f]{1,4}$/.test(part))) return undefined;
  const [high, low] = parts.map((part) => parseInt(part, 16)) as [number, number];
  return [high >> BYTE_BITS, high & BYTE_MASK, low >> BYTE_BITS, low & BYTE_MASK].join('.');
}

/** The eight hextets of a valid IPv6 address (an embedded IPv4 tail included). */
function hextets(address: string): number[] {
  let text = address.toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << BYTE_BITS) | b).toString(16)}:${((c << BYTE_BITS) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(IPV6_HEXTETS - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((part) => parseInt(part, 16));
}

/**
 * The key per-address limits count under: an IPv4 address as it is (IPv4-mapped IPv6
 * included), an IPv6 address as its /64 (`2001:db8:1:2::/64`), anything else unchanged.
 */
export function addressGroup(address: string): string {
  const bare = address.split('%')[0]!;
  if (isIPv4(bare)) return bare;
  if (isIP(bare) !== 6) return address;
  const v4 = unmapped(bare);
  if (v4 !== undefined) return v4;
  const network = hextets(bare).slice(0, NETWORK_HEXTETS);
  if (network.length !== NETWORK_HEXTETS || network.some((part) => !Number.isInteger(part) || part < 0 || part >= 2 ** HEXTET_BITS)) return address;
  return `${network.map((part) => part.toString(16)).join(':')}::/64`;
}

/** A `--trust-proxy` entry that is neither an address nor a CIDR range, or undefined when all are. */
export function invalidProxyEntry(entries: readonly string[]): string | undefined {
  return entries.find((entry) => parseProxyEntry(entry) === undefined);
}

function parseProxyEntry(entry: string): { address: string; prefix?: number; type: 'ipv4' | 'ipv6' } | undefined {
  const [address, prefixText, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (extra !== undefined || family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address: address!, type };
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) return undefined;
  return { address: address!, prefix, type };
}

/** Finds the address a connection is counted under. */
export class ClientAddresses {
  private readonly proxies = new BlockList();
  private readonly anyProxy: boolean;

  /** `trustProxy`: addresses or CIDR ranges, already checked with {@link invalidProxyEntry}. */
  constructor(trustProxy: readonly string[] = []) {
    for (const entry of trustProxy) {
      const parsed = parseProxyEntry(entry);
      if (parsed === undefined) continue;
      if (parsed.prefix === undefined) this.proxies.addAddress(parsed.address, parsed.type);
      else this.proxies.addSubnet(parsed.address, parsed.prefix, parsed.type);
    }
    this.anyProxy = trustProxy.length > 0;
  }

  /** The address group of the client behind this request. */
  of(req: IncomingMessage): string {
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (!this.anyProxy || !this.isProxy(peer)) return addressGroup(peer);
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    // The last hop is the one the trusted proxy appended: the address that connected to it.
    const last = hops[hops.length - 1]!.trim().replace(/^\[(.*)\]$/, '$1');
    return isIP(last) === 0 ? addressGroup(peer) : addressGroup(last);
  }

  private isProxy(peer: string): boolean {
    const bare = peer.split('%')[0]!;
    const v4 = isIPv4(bare) ? bare : unmapped(bare);
    if (v4 !== undefined) return this.proxies.check(v4, 'ipv4');
    return isIP(bare) === 6 && this.proxies.check(bare, 'ipv6');
  }
}
