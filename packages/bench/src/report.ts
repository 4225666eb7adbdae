// What every section hands back, and how the harness turns it into a Markdown table on
// stdout and a JSON report on disk.
import { KIB, MIB } from '@sealroom/units';
import { STARVED } from './starvation.js';
import type { Spread } from './stats.js';

export type SectionStatus = 'ok' | 'unavailable' | 'failed';

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Lines printed under the table: method notes, checks, caveats. */
  notes?: string[];
}

/** One line of the summary: a headline figure against its DESIGN.md §5 target. */
export interface Verdict {
  /** Where the figure goes under `summary` in the JSON report: a dotted path, e.g. `fanout1000.relayCpuVsBareWsBatched`. */
  key?: string;
  figure: string;
  value: string;
  /** The figure as a number (median over rounds), for the JSON report. */
  numeric?: number;
  /** The figure over the rounds it was measured in. */
  spread?: Spread;
  target: string;
  /** undefined when the figure has no pass/fail target (context only). */
  met?: boolean;
  /** Set when the machine, not the server, was the limit: no verdict, and why. */
  starved?: string;
}

export type VerdictText = 'met' | 'not met' | typeof STARVED | '';

export function verdictText(verdict: Verdict): VerdictText {
  if (verdict.starved !== undefined) return STARVED;
  if (verdict.met === undefined) return '';
  return verdict.met ? 'met' : 'not met';
}

export interface SectionResult {
  /** Section key; also the top-level key of its JSON fragment. */
  name: string;
  title: string;
  status: SectionStatus;
  /** Why a section is unavailable or failed. */
  reason?: string;
  tables: Table[];
  verdicts: Verdict[];
  /** Merged into the JSON report under `jsonKey` (default `name`); absent for a section that did not run. */
  json?: Record<string, unknown>;
  /** Top-level JSON key, when several sections share one (fan-out and idle memory both report under `relay`). */
  jsonKey?: string;
}

export function unavailable(name: string, title: string, reason: string): SectionResult {
  return { name, title, status: 'unavailable', reason, tables: [], verdicts: [] };
}

export function failed(name: string, title: string, error: unknown): SectionResult {
  const reason = error instanceof Error ? error.message : String(error);
  return { name, title, status: 'failed', reason, tables: [], verdicts: [] };
}

export function markdownTable(table: Table): string {
  const lines = [`### ${table.title}`, '', `| ${table.headers.join(' | ')} |`, `|${table.headers.map(() => '---').join('|')}|`];
  for (const row of table.rows) lines.push(`| ${row.map(escapeCell).join(' | ')} |`);
  if (table.notes && table.notes.length > 0) {
    lines.push('');
    for (const note of table.notes) lines.push(`- ${note}`);
  }
  return lines.join('\n');
}

function escapeCell(cell: string): string {
  return cell.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function summaryTable(sections: SectionResult[]): Table {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const section of sections) {
    if (section.status !== 'ok') {
      const value = section.status === 'unavailable' ? 'not available yet' : 'failed';
      rows.push([section.title, value, '', section.reason ?? '', '']);
      continue;
    }
    for (const verdict of section.verdicts) {
      rows.push([verdict.figure, verdict.value, verdict.spread ? fmtSpreadRange(verdict.spread) : '', verdict.target, verdictText(verdict)]);
      if (verdict.starved !== undefined) notes.push(`No verdict on “${verdict.figure}”: ${verdict.starved}.`);
    }
  }
  return {
    title: 'Summary against DESIGN.md §5',
    headers: ['Figure', 'Value', 'Spread over rounds', 'Target', 'Verdict'],
    rows,
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** Every verdict with a key, nested by its dotted path: the report's `summary`. */
export function summaryJson(sections: SectionResult[]): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const section of sections) {
    if (section.status !== 'ok') continue;
    for (const verdict of section.verdicts) {
      if (!verdict.key) continue;
      const path = verdict.key.split('.');
      let node = summary;
      for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
      node[path.at(-1)!] = {
        figure: verdict.figure,
        value: finiteOrUndefined(verdict.numeric ?? Number.NaN),
        display: verdict.value,
        ...(verdict.spread
          ? { spread: { min: finiteOrUndefined(verdict.spread.min), max: finiteOrUndefined(verdict.spread.max), rounds: verdict.spread.count } }
          : {}),
        target: verdict.target,
        verdict: verdictText(verdict) || 'context',
        ...(verdict.starved !== undefined ? { reason: verdict.starved } : {}),
      };
    }
  }
  return summary;
}

/** Builds the JSON report: each section that ran contributes its fragment under its name. */
export function jsonReport(meta: Record<string, unknown>, sections: SectionResult[]): Record<string, unknown> {
  const report: Record<string, unknown> = { meta, summary: summaryJson(sections) };
  const status: Record<string, { status: SectionStatus; reason?: string }> = {};
  for (const section of sections) {
    status[section.name] = { status: section.status, ...(section.reason ? { reason: section.reason } : {}) };
    if (section.status === 'ok' && section.json) {
      const key = section.jsonKey ?? section.name;
      const existing = report[key] as Record<string, unknown> | undefined;
      report[key] = { ...(existing ?? {}), ...section.json };
    }
  }
  report.sections = status;
  return report;
}

// ---------------------------------------------------------------- number formatting

export function fmtInt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

export function fmtFixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** A share (0–1) as a whole percentage. */
export function fmtPercent(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(0)}%` : 'n/a';
}

export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

export function fmtMiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / MIB).toFixed(1)} MiB` : 'n/a';
}

export function fmtKiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / KIB).toFixed(1)} KiB` : 'n/a';
}

/** `[min–max]` of a figure over its rounds, or a note that one round has no spread. */
export function fmtSpreadRange(value: Spread, format: (value: number) => string = (v) => v.toFixed(2)): string {
  if (value.count === 0) return 'n/a';
  if (value.count === 1) return '1 round';
  return `[${format(value.min)}–${format(value.max)}] over ${value.count}`;
}

/** A median with its range over rounds: `1.02 [0.95–1.10]`. */
export function fmtWithSpread(value: Spread, format: (value: number) => string = (v) => v.toFixed(2)): string {
  if (value.count === 0) return 'n/a';
  if (value.count === 1) return format(value.median);
  return `${format(value.median)} [${format(value.min)}–${format(value.max)}]`;
}

/** JSON has no NaN: a figure that could not be measured is left out rather than faked. */
export function finiteOrUndefined(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}
