/**
 * What a relay flag is: its kind of value, the `--help` section it is listed under and the
 * placeholder shown after it. Apart from the flag table (cli-flags.ts) so the help text
 * (cli-help.ts) and the value reader (cli-values.ts) depend on the shape, not on every flag.
 */
import type { RelayOptions } from './options.js';

/** `switch`: a flag without a value (`--memory`); its variable takes 1/true/yes or 0/false/no. */
export type ValueKind = 'string' | 'list' | 'port' | 'count' | 'bytes' | 'duration' | 'level' | 'sync' | 'addresses' | 'switch';

/**
 * The sections of `--help`, in this order. A section with no flag yet is left out of the
 * help; a new flag names its section here.
 */
export const FLAG_GROUPS = {
  network: 'Network and the web app',
  tls: 'TLS (HTTPS and WSS without a proxy)',
  limits: 'Limits (per connection and per address)',
  retention: 'Retention (what is kept for catch-up)',
  storage: 'Storage',
  'scale-out': 'Scale-out (several processes)',
  logging: 'Logging',
} as const;
export type FlagGroup = keyof typeof FLAG_GROUPS;

/** What `--help` shows after a flag for each kind of value, unless the flag names its own. */
export const VALUE_PLACEHOLDER: Record<ValueKind, string> = {
  string: 'value',
  list: 'value',
  port: 'port',
  count: 'n',
  bytes: 'size',
  duration: 'time',
  level: 'level',
  sync: 'normal|full',
  addresses: 'address',
  switch: '',
};

export interface Flag {
  readonly name: string;
  readonly env: string;
  readonly group: FlagGroup;
  readonly kind: ValueKind;
  /** The placeholder in `--help` (`--host <address>`); by default the kind's. */
  readonly value?: string;
  readonly help: string;
  readonly fallback?: string;
  /** Puts the value into the options. The TLS flags have none: main() reads those files. */
  readonly apply?: (options: RelayOptions, value: never) => void;
}
