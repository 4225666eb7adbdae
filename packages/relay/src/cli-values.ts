/**
 * Reading a flag's value from the command line or its environment variable: sizes with
 * KiB/MiB/GiB suffixes, durations with ms/s/m/h/d, ports, counts, lists and switches. Apart
 * from the flag table (cli-flags.ts) because it is the one place untrusted text becomes a
 * number, and each kind's rule reads best on its own.
 */
import { isLogLevel } from './log.js';
import { invalidProxyEntry } from './client-address.js';
import type { Flag } from './cli-flag-shape.js';
import { DAY_MS, GIB, HOUR_MS, KIB, MIB, MINUTE_MS, SECOND_MS } from '@sealroom/units';

const MAX_PORT = 65_535;

const UNITS_BYTES: Record<string, number> = { '': 1, b: 1, k: KIB, kb: KIB, kib: KIB, m: MIB, mb: MIB, mib: MIB, g: GIB, gb: GIB, gib: GIB };
const UNITS_MS: Record<string, number> = { '': 1, ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

export function parseValue(flag: Flag, raw: string | string[]): { ok: true; value: unknown } | { ok: false; message: string } {
  const bad = (what: string) => ({ ok: false as const, message: `--${flag.name} (${flag.env}): ${what}, got ${JSON.stringify(raw)}` });
  if (flag.kind === 'list' || flag.kind === 'addresses') {
    const parts = (Array.isArray(raw) ? raw : [raw])
      .flatMap((item) => item.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    const invalid = flag.kind === 'addresses' ? invalidProxyEntry(parts) : undefined;
    if (invalid !== undefined) return bad(`${JSON.stringify(invalid)} is not an IP address or a CIDR range`);
    return { ok: true, value: parts };
  }
  const text = (Array.isArray(raw) ? raw[raw.length - 1]! : raw).trim();
  switch (flag.kind) {
    case 'string':
      return text === '' ? bad('expected a value') : { ok: true, value: text };
    case 'level':
      return isLogLevel(text) ? { ok: true, value: text } : bad('expected debug, info, warn, error or silent');
    case 'sync':
      return text === 'normal' || text === 'full' ? { ok: true, value: text } : bad('expected normal or full');
    case 'switch': {
      const lower = text.toLowerCase();
      if (['1', 'true', 'yes'].includes(lower)) return { ok: true, value: true };
      if (['0', 'false', 'no'].includes(lower)) return { ok: true, value: false };
      return bad('expected 1, true or yes (or 0, false, no)');
    }
    case 'port': {
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      return Number.isInteger(n) && n <= MAX_PORT ? { ok: true, value: n } : bad(`expected a port 0..${MAX_PORT}`);
    }
    case 'count': {
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      return Number.isSafeInteger(n) && n > 0 ? { ok: true, value: n } : bad('expected a positive integer');
    }
    case 'bytes':
    case 'duration': {
      const units = flag.kind === 'bytes' ? UNITS_BYTES : UNITS_MS;
      const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
      const unit = match?.[2]?.toLowerCase() ?? '';
      const scale = units[unit];
      const n = match && scale !== undefined ? Math.round(Number(match[1]) * scale) : NaN;
      const example = flag.kind === 'bytes' ? 'like 1048576, 512KiB or 1MiB' : 'like 30000, 30s, 15m, 24h or 7d';
      return Number.isSafeInteger(n) && n > 0 ? { ok: true, value: n } : bad(`expected a positive amount ${example}`);
    }
  }
  return bad('unreadable');
}
