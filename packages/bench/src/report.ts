// What every section hands back, and how the harness turns it into a Markdown table on
// stdout and a JSON report on disk.
import { KIB, MIB } from '@sealroom/units';

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
  figure: string;
  value: string;
  target: string;
  /** undefined when the figure has no pass/fail target (context only). */
  met?: boolean;
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
  for (const section of sections) {
    if (section.status !== 'ok') {
      const value = section.status === 'unavailable' ? 'not available yet' : 'failed';
      rows.push([section.title, value, section.reason ?? '', '']);
      continue;
    }
    for (const verdict of section.verdicts) {
      rows.push([verdict.figure, verdict.value, verdict.target, verdict.met === undefined ? '' : verdict.met ? 'met' : 'MISSED']);
    }
  }
  return { title: 'Summary against DESIGN.md §5', headers: ['Figure', 'Value', 'Target', 'Verdict'], rows };
}

/** Builds the JSON report: each section that ran contributes its fragment under its name. */
export function jsonReport(meta: Record<string, unknown>, sections: SectionResult[]): Record<string, unknown> {
  const report: Record<string, unknown> = { meta };
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

export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

export function fmtMiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / MIB).toFixed(1)} MiB` : 'n/a';
}

export function fmtKiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / KIB).toFixed(1)} KiB` : 'n/a';
}

/** JSON has no NaN: a figure that could not be measured is left out rather than faked. */
export function finiteOrUndefined(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}
