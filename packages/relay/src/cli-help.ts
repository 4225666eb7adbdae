/**
 * The text of `sealroom-relay --help`: the flags by section, the signals and the exit
 * codes, wrapped to a width (the terminal's, or 80 columns when the output is not a
 * terminal).
 */
import { FLAG_GROUPS, VALUE_PLACEHOLDER, type Flag, type FlagGroup } from './cli-flag-shape.js';
import { FLAGS } from './cli-flags.js';
import { EXIT_CODES } from './exit-codes.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './options.js';

/** Help for output that is not a terminal (a pipe, a file, a test). */
export const DEFAULT_HELP_WIDTH = 80;
/** Narrower terminals still get this much: below it, wrapping makes a column of words. */
const MIN_HELP_WIDTH = 40;
/** Wider terminals get this much: longer lines are harder to read (clap's default cap too). */
const MAX_HELP_WIDTH = 100;
/** Indent of a flag line, and of its description below it. */
const FLAG_INDENT = 2;
const DESCRIPTION_INDENT = 6;
/** Spaces between a flag and its environment variable, or a term and its text. */
const GAP = 2;

/** The width to wrap to, for a stream that may be a terminal. */
export function helpWidth(stream: { isTTY?: boolean; columns?: number }): number {
  if (stream.isTTY !== true || stream.columns === undefined || stream.columns <= 0) return DEFAULT_HELP_WIDTH;
  return Math.min(MAX_HELP_WIDTH, Math.max(MIN_HELP_WIDTH, stream.columns));
}

/**
 * Words of `text` in lines of at most `width` columns, the first starting after `first`
 * (already on the line) and the rest after `indent` spaces. A word longer than a line gets
 * a line of its own rather than being cut.
 */
function wrap(text: string, width: number, indent: number, first = ' '.repeat(indent)): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/u).filter(Boolean)) {
    const candidate = empty ? `${line}${word}` : `${line} ${word}`;
    if (!empty && candidate.length > width) {
      lines.push(line);
      line = `${' '.repeat(indent)}${word}`;
    } else {
      line = candidate;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** A two-column row (`term  text`), the text wrapped in its column; a long term puts it below. */
function row(term: string, text: string, column: number, width: number): string[] {
  const head = `${' '.repeat(FLAG_INDENT)}${term}`;
  if (head.length + GAP <= column) return wrap(text, width, column, head.padEnd(column));
  return [head, ...wrap(text, width, column)];
}

function flagLine(flag: Flag): string {
  return flag.kind === 'switch' ? `--${flag.name}` : `--${flag.name} <${flag.value ?? VALUE_PLACEHOLDER[flag.kind]}>`;
}

/** Where the environment variables line up, in every section. */
const ENV_COLUMN = Math.max(...FLAGS.map((flag) => FLAG_INDENT + flagLine(flag).length)) + GAP;

function flagSection(group: FlagGroup, flags: readonly Flag[], width: number): string[] {
  const lines = [`${FLAG_GROUPS[group]}:`];
  for (const flag of flags) {
    const head = `${' '.repeat(FLAG_INDENT)}${flagLine(flag)}`;
    // The variable on the flag's line when it fits there, else on a line of its own.
    if (ENV_COLUMN + flag.env.length <= width) lines.push(`${head.padEnd(ENV_COLUMN)}${flag.env}`);
    else lines.push(head, `${' '.repeat(DESCRIPTION_INDENT)}${flag.env}`);
    const fallback = flag.fallback !== undefined ? ` Default: ${flag.fallback}.` : '';
    lines.push(...wrap(`${flag.help}${fallback}`, width, DESCRIPTION_INDENT));
  }
  return lines;
}

const SIGNALS: readonly (readonly [string, string])[] = [
  ['SIGTERM, SIGINT', 'Stop accepting, close every WebSocket with 1001 (going away) so clients reconnect elsewhere, and exit.'],
  ['SIGHUP', 'Read the TLS certificate and key files again (connections already open keep theirs) and the web app directory.'],
];

/** The whole of `--help`, wrapped to `width` columns. */
export function formatHelp(width: number = DEFAULT_HELP_WIDTH): string {
  const paragraph = (text: string): string[] => wrap(text, width, 0);
  const lines = [
    'Usage: sealroom-relay [options]',
    '',
    ...paragraph(
      'The Sealroom relay: forwards end-to-end encrypted envelopes it cannot read, and serves the web app. ' +
        'Every option can also be set with the environment variable shown beside it; a flag wins over its variable.',
    ),
    '',
    ...paragraph(
      `It listens on ${DEFAULT_HOST}:${DEFAULT_PORT} (this machine only) unless told otherwise. To serve others, ` +
        'run it with --host 0.0.0.0 behind a TLS-terminating proxy, or give it --tls-cert and --tls-key.',
    ),
    '',
    ...paragraph('Sizes take KiB/MiB/GiB suffixes; durations take ms/s/m/h/d.'),
  ];
  for (const group of Object.keys(FLAG_GROUPS) as FlagGroup[]) {
    const flags = FLAGS.filter((flag) => flag.group === group);
    if (flags.length > 0) lines.push('', ...flagSection(group, flags, width));
  }
  const termColumn = FLAG_INDENT + Math.max(...SIGNALS.map(([term]) => term.length)) + GAP;
  lines.push('', 'Other:', ...row('--help, -h', 'Show this help.', termColumn, width), ...row('--version', 'Print the version.', termColumn, width));
  lines.push('', 'Signals:', ...SIGNALS.flatMap(([term, text]) => row(term, text, termColumn, width)));
  lines.push('', 'Exit codes:', ...EXIT_CODES.flatMap(({ code, meaning }) => row(String(code), meaning, FLAG_INDENT + 1 + GAP, width)));
  return `${lines.join('\n')}\n`;
}
