/**
 * `@sealroom/client`: everything a Sealroom user's device does, without a user
 * interface. It runs unchanged in the browser (under the web app) and in Node (tests,
 * benchmarks, load tests). Platform pieces are injected: a WebSocket constructor, a
 * storage and a clock.
 *
 * The surface is deliberately narrow (in the spirit of matrix-js-sdk's `crypto-api`):
 * identity functions, rooms, a per-room handle and a typed event stream. Reconnect,
 * outbox, catch-up, sender-key distribution and rotation stay internal.
 *
 * ```ts
 * import WebSocket from 'ws';
 * import { createSealroomClient, createMemoryStorage } from '@sealroom/client';
 *
 * const alice = createSealroomClient({ relayUrl: 'http://127.0.0.1:8787', storage: createMemoryStorage(), WebSocket });
 * await alice.createIdentity({ displayName: 'Alice', password: 'correct horse battery staple' });
 * const room = await alice.createRoom({ name: 'Incident 42' });
 * alice.on('message', (e) => console.log(e.message.senderName, e.message.text));
 * await room.sendText('hello');
 * ```
 *
 * @packageDocumentation
 */

export { createSealroomClient } from './client.js';
export { createMemoryStorage } from './storage-memory.js';
export { createIndexedDbStorage } from './storage-idb.js';
export { SealroomClientError } from './errors.js';
export { FILE_FLOW_CONTROL } from './file-flow-control.js';
export { SearchIndex, DEFAULT_SEARCH_LIMIT, MAX_QUERY_CHARS, foldText, highlightsOf, queryTerms } from './search.js';
export type { HighlightRange, SearchDocument, SearchHit, SearchOptions, SearchResult } from './search.js';
export type { ClientErrorCode } from './errors.js';
export type * from './platform.js';
export type * from './api.js';
export type * from './codes.js';
