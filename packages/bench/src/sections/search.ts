// Section: search over local history (issue 16). The client's in-memory index over 10,000
// synthetic messages in 10 rooms: how long building it takes (what opening the search costs
// after unlock), and how long typical queries take over every room and over one room.
// CPU only, no servers. Figures are printed, not judged: the machine is shared, so the load
// average is printed beside them and the query figures compare with each other in one run.
import type { SearchIndex as SearchIndexType, SearchDocument } from '@sealroom/client';
import type { BenchContext } from '../context.js';
import { loadAverageNow } from '../machine.js';
import { fmtFixed, fmtInt, type SectionResult, type Table, type Verdict } from '../report.js';
import { median } from '../stats.js';

const TITLE = 'Search';
/** Messages in the corpus: issue 16's "fast on 10,000 messages". */
export const SEARCH_MESSAGES = 10_000;
const ROOMS = 10;
/** Index builds timed; the median is reported. */
const BUILD_ROUNDS = 7;
/** Times each query runs; the median is reported. */
const QUERY_ROUNDS = 41;
const MIN_WORDS = 4;
const MAX_WORDS = 40;
/** Fixed seed: every run searches the same corpus. */
const SEED = 0x5ea12c4;
const UINT32 = 2 ** 32;
const SENT_AT_START_MS = Date.UTC(2026, 0, 1);
const MESSAGE_SPACING_MS = 60_000;
/** Interactive: a result list that follows typing (no verdict, a reference for the reader). */
const INTERACTIVE_MS = 50;

const VOCABULARY = (
  'the a to and of we is in it you that for on deploy release server key vault password meeting tomorrow ' +
  'today incident fix bug review merge branch relay room invite link backup phone laptop coffee lunch ' +
  'café résumé naïve über straße crème brûlée Zürich São Paulo Kraków déjà vu façade jalapeño ' +
  'please thanks ok yes no maybe later soon now again question answer check test build ship'
).split(' ');

/** A small deterministic PRNG (mulberry32): the corpus is the same in every run. */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / UINT32;
  };
}

export function syntheticCorpus(count: number): SearchDocument[] {
  const random = prng(SEED);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const documents: SearchDocument[] = [];
  for (let i = 0; i < count; i++) {
    const words = MIN_WORDS + Math.floor(random() * (MAX_WORDS - MIN_WORDS));
    const text = Array.from({ length: words }, () => pick(VOCABULARY)).join(' ');
    documents.push({
      roomId: `room-${i % ROOMS}`,
      id: `m${i}`,
      text: i === count - 1 ? `${text} needle-in-a-haystack` : text,
      sender: `member-${i % 7}`,
      senderName: `Member ${i % 7}`,
      sentAt: SENT_AT_START_MS + i * MESSAGE_SPACING_MS,
    });
  }
  return documents;
}

const QUERIES: { label: string; query: string; room?: boolean }[] = [
  { label: 'common word ("deploy")', query: 'deploy' },
  { label: 'two words ("key vault")', query: 'key vault' },
  { label: 'accent-insensitive ("CAFE" finds "café")', query: 'CAFE' },
  { label: 'rare ("needle")', query: 'needle' },
  { label: 'no match ("zzzz")', query: 'zzzz' },
  { label: 'one letter ("e", nearly everything)', query: 'e' },
  { label: 'common word in one room', query: 'deploy', room: true },
];

function timeMs(work: () => void): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

export async function runSearch(context: BenchContext, options: { messages?: number } = {}): Promise<SectionResult> {
  const { SearchIndex } = await import('@sealroom/client');
  const messages = options.messages ?? SEARCH_MESSAGES;
  const corpus = syntheticCorpus(messages);
  const loadStart = loadAverageNow();
  context.log(`search: ${fmtInt(messages)} messages, ${BUILD_ROUNDS} builds, ${QUERY_ROUNDS} runs per query`);

  let index: SearchIndexType = new SearchIndex();
  const builds: number[] = [];
  for (let round = 0; round < BUILD_ROUNDS; round++) {
    const fresh = new SearchIndex();
    builds.push(timeMs(() => corpus.forEach((document) => fresh.add(document))));
    index = fresh;
  }

  const rows: string[][] = [];
  const json: Record<string, unknown> = {};
  const queryMedians: number[] = [];
  for (const entry of QUERIES) {
    const times: number[] = [];
    let total = 0;
    for (let round = 0; round < QUERY_ROUNDS; round++) {
      times.push(timeMs(() => (total = index.search(entry.query, entry.room ? { roomId: 'room-0' } : {}).total)));
    }
    const ms = median(times);
    queryMedians.push(ms);
    rows.push([entry.label, entry.room ? 'one room' : `all ${ROOMS} rooms`, fmtInt(total), fmtFixed(ms, 2), fmtFixed(Math.max(...times), 2)]);
    json[entry.query + (entry.room ? ' (room)' : '')] = { medianMs: ms, maxMs: Math.max(...times), matches: total };
  }
  const buildMs = median(builds);
  const worstQueryMs = Math.max(...queryMedians);
  const loadEnd = loadAverageNow();

  const tables: Table[] = [
    {
      title: `Search: index build over ${fmtInt(messages)} messages`,
      headers: ['Figure', 'Median', 'Min', 'Max'],
      rows: [['Build the in-memory index (ms)', fmtFixed(buildMs, 1), fmtFixed(Math.min(...builds), 1), fmtFixed(Math.max(...builds), 1)]],
      notes: [
        `${BUILD_ROUNDS} builds. The index is what the search dialog builds from the decrypted timelines when it opens; it is never written to storage.`,
        `Messages of ${MIN_WORDS}–${MAX_WORDS} words from a fixed vocabulary with accented words, in ${ROOMS} rooms (seed ${SEED}).`,
      ],
    },
    {
      title: `Search: queries over ${fmtInt(messages)} messages`,
      headers: ['Query', 'Scope', 'Matches', 'Median (ms)', 'Max (ms)'],
      rows,
      notes: [
        `${QUERY_ROUNDS} runs per query; each returns the newest 50 hits with highlights and counts every match.`,
        `Load average (1 min): ${fmtFixed(loadStart, 2)} at the start, ${fmtFixed(loadEnd, 2)} at the end — compare the queries with each other, not with another machine.`,
      ],
    },
  ];
  const verdicts: Verdict[] = [
    {
      key: 'search.buildMs',
      figure: `Search index build, ${fmtInt(messages)} messages`,
      value: `${fmtFixed(buildMs, 1)} ms`,
      numeric: buildMs,
      target: 'figure only',
    },
    {
      key: 'search.slowestQueryMs',
      figure: `Slowest query, ${fmtInt(messages)} messages`,
      value: `${fmtFixed(worstQueryMs, 2)} ms`,
      numeric: worstQueryMs,
      target: `figure only (interactive is under ${INTERACTIVE_MS} ms)`,
    },
  ];
  return {
    name: 'search',
    title: TITLE,
    status: 'ok',
    tables,
    verdicts,
    json: { messages, buildMs: { median: buildMs, all: builds }, queries: json, loadAverage: { start: loadStart, end: loadEnd } },
  };
}
