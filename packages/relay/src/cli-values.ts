/**
 * How a relay flag's value is read and written, by its kind: sizes with KiB/MiB/GiB
 * suffixes, durations with ms/s/m/h/d, ports, counts, switches and address lists. Kept
 * apart from the flag table (cli-flags.ts) so the table reads as a list of flags and the
 * parsing rules have one home that `--help` (placeholders) and the CLI (parsing) share.
 */
import { isLogLevel } from './log.js';
import { invalidProxyEntry } from './client-address.js';
import { DAY_MS, GIB, HOUR_MS, KIB, MIB, MINUTE_MS, SECOND_MS } from '@sealroom/units';

const MAX_PORT = 65_535;

/** `switch`: a flag without a value (`--memory`); its variable takes 1/true/yes or 0/false/no. */
export type ValueKind = 'string' | 'list' | 'port' | 'count' | 'bytes' | 'duration' | 'delay' | 'level' | 'sync' | 'addresses' | 'switch';

/** What `--help` shows after a flag for each kind of value, unless the flag names its own. */
export const VALUE_PLACEHOLDER: Record<ValueKind, string> = {
  string: 'value',
  list: 'value',
  port: 'port',
  count: 'n',
  bytes: 'size',
  duration: 'time',
  delay: 'time',
  level: 'level',
  sync: 'normal|full',
  addresses: 'address',
  switch: '',
};

/** What parsing a value needs to know of its flag (and to name it in an error). */
export interface ValueSpec {
  readonly name: string;
  readonly env: string;
  readonly kind: ValueKind;
}

/** A size as `--help` shows a default: 1MiB, 64KiB or plain bytes. */
export const bytes = (n: number): string => (n % MIB === 0 ? `${n / MIB}MiB` : n % KIB === 0 ? `${n / KIB}KiB` : `${n}`);
/** A duration as `--help` shows a default: 7d, 24h, 15m, 30s or plain ms. */
export const duration = (ms: number): string =>
  ms % DAY_MS === 0
    ? `${ms / DAY_MS}d`
    : ms % HOUR_MS === 0
      ? `${ms / HOUR_MS}h`
      : ms % MINUTE_MS === 0
        ? `${ms / MINUTE_MS}m`
        : ms % SECOND_MS === 0
          ? `${ms / SECOND_MS}s`
          : `${ms}ms`;

const UNITS_BYTES: Record<string, number> = { '': 1, b: 1, k: KIB, kb: KIB, kib: KIB, m: MIB, mb: MIB, mib: MIB, g: GIB, gb: GIB, gib: GIB };
const UNITS_MS: Record<string, number> = { '': 1, ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

export function parseValue(flag: ValueSpec, raw: string | string[]): { ok: true; value: unknown } | { ok: false; message: string } {
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
    case 'duration':
    case 'delay': {
      const units = flag.kind === 'bytes' ? UNITS_BYTES : UNITS_MS;
      const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
      const unit = match?.[2]?.toLowerCase() ?? '';
      const scale = units[unit];
      const n = match && scale !== undefined ? Math.round(Number(match[1]) * scale) : NaN;
      const example = flag.kind === 'bytes' ? 'like 1048576, 512KiB or 1MiB' : flag.kind === 'delay' ? 'like 1ms or 5ms' : 'like 30000, 30s, 15m, 24h or 7d';
      // A delay may be none; a size or a duration must be something.
      if (flag.kind === 'delay') return Number.isSafeInteger(n) && n >= 0 ? { ok: true, value: n } : bad(`expected 0 or an amount ${example}`);
      return Number.isSafeInteger(n) && n > 0 ? { ok: true, value: n } : bad(`expected a positive amount ${example}`);
    }
  }
  return bad('unreadable');
}
