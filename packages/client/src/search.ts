/**
 * Search over decrypted history, in memory only (issue 16). The index holds a case- and
 * accent-folded copy of each message's text; it is never written anywhere, so dropping the
 * object (on lock) drops the plaintext index with it. Matching is substring matching of
 * every query term (AND), which also finds words inside longer ones ("pass" in "password"),
 * as users of a chat search expect. A scan over folded strings is fast enough for the
 * history a device keeps (PROTOCOL has no bound, the benchmark measures 10,000 messages) and
 * needs no token tables that could disagree with the highlighting.
 */

/** One searchable message. `text` is what is shown and highlighted. */
export interface SearchDocument {
  roomId: string;
  /** Timeline item id. */
  id: string;
  text: string;
  sender: string;
  senderName: string;
  /** Sender's time, epoch ms: results are newest first. */
  sentAt: number;
}

/** A half-open range `[start, end)` of UTF-16 code units in the document's `text`. */
export type HighlightRange = readonly [start: number, end: number];

export interface SearchHit {
  document: SearchDocument;
  /** The matched parts of `document.text`, in order, not overlapping. */
  highlights: HighlightRange[];
}

export interface SearchOptions {
  /** Only this room; every room when absent. */
  roomId?: string;
  /** At most this many hits (newest first). Default {@link DEFAULT_SEARCH_LIMIT}. */
  limit?: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Every match, including those beyond `limit`. */
  total: number;
}

/** Hits returned when the caller does not say: more than a results list shows at once. */
export const DEFAULT_SEARCH_LIMIT = 50;
/** Longest query considered, in characters: a pasted page is not a search. */
export const MAX_QUERY_CHARS = 200;

const ASCII_LIMIT = 0x80;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const ASCII_CASE_OFFSET = 0x20;
const COMBINING_MARK = /\p{M}/gu;

/** Folds of non-ASCII code points seen so far: a chat uses few distinct ones, and normalize() is the slow part. */
const foldCache = new Map<string, string>();
/** Distinct code points remembered, at most (a text in every script of Unicode does not grow it without end). */
const MAX_FOLD_CACHE_ENTRIES = 8_192;

/** Folds one code point: canonical decomposition, marks dropped, lower case. May be empty. */
function foldCodePoint(char: string): string {
  const code = char.charCodeAt(0);
  if (char.length === 1 && code < ASCII_LIMIT) return code >= UPPER_A && code <= UPPER_Z ? String.fromCharCode(code + ASCII_CASE_OFFSET) : char;
  let folded = foldCache.get(char);
  if (folded === undefined) {
    folded = char.normalize('NFD').replace(COMBINING_MARK, '').toLowerCase();
    if (foldCache.size < MAX_FOLD_CACHE_ENTRIES) foldCache.set(char, folded);
  }
  return folded;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= ASCII_LIMIT) return false;
  return true;
}

/** The folded text alone (what the index keeps). Code point by code point, exactly as {@link foldWithOffsets}. */
export function foldText(text: string): string {
  // ASCII lower-casing is per character, so the whole-string call gives the same result.
  if (isAscii(text)) return text.toLowerCase();
  let folded = '';
  for (const char of text) folded += foldCodePoint(char);
  return folded;
}

/**
 * The folded text and, for every folded position, where its character started in the
 * original (one more entry, the original length, closes the last range). Only computed for
 * the hits shown, never kept for the whole index.
 */
export function foldWithOffsets(text: string): { folded: string; offsets: number[] } {
  let folded = '';
  const offsets: number[] = [];
  let index = 0;
  for (const char of text) {
    const part = foldCodePoint(char);
    for (let i = 0; i < part.length; i++) offsets.push(index);
    folded += part;
    index += char.length;
  }
  offsets.push(text.length);
  return { folded, offsets };
}

/** The distinct folded terms of a query, longest first (so overlaps keep the longer one). */
export function queryTerms(query: string): string[] {
  const terms = foldText(query.slice(0, MAX_QUERY_CHARS))
    .split(/\s+/u)
    .filter((term) => term.length > 0);
  return [...new Set(terms)].sort((a, b) => b.length - a.length);
}

/** Where the terms occur in `text`, as merged ranges of the original text. */
export function highlightsOf(text: string, terms: readonly string[]): HighlightRange[] {
  const { folded, offsets } = foldWithOffsets(text);
  const ranges: [number, number][] = [];
  for (const term of terms) {
    for (let at = folded.indexOf(term); at !== -1; at = folded.indexOf(term, at + term.length)) {
      // A combining mark after the match (an accent the fold dropped) belongs to it.
      ranges.push([offsets[at]!, offsets[at + term.length]!]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

interface Entry {
  document: SearchDocument;
  folded: string;
}

const entryKey = (roomId: string, id: string) => `${roomId}\u0000${id}`;

export class SearchIndex {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  /** Adds a document, or replaces the one with the same room and id (an edited message). */
  add(document: SearchDocument): void {
    this.entries.set(entryKey(document.roomId, document.id), { document, folded: foldText(document.text) });
  }

  remove(roomId: string, id: string): void {
    this.entries.delete(entryKey(roomId, id));
  }

  /** Forgets everything: the folded plaintext goes with it. */
  clear(): void {
    this.entries.clear();
  }

  search(query: string, options: SearchOptions = {}): SearchResult {
    const terms = queryTerms(query);
    if (terms.length === 0) return { hits: [], total: 0 };
    const matches: Entry[] = [];
    for (const entry of this.entries.values()) {
      if (options.roomId !== undefined && entry.document.roomId !== options.roomId) continue;
      if (terms.every((term) => entry.folded.includes(term))) matches.push(entry);
    }
    matches.sort((a, b) => b.document.sentAt - a.document.sentAt);
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
    const hits = matches.slice(0, limit).map((entry) => ({ document: entry.document, highlights: highlightsOf(entry.document.text, terms) }));
    return { hits, total: matches.length };
  }
}
