export type { HistoryPage, RemoteEnvelopeListener, RetainedEnvelope, RoomKey, RoomStore, StoreStats } from './store.js';
export {
  DEFAULT_HOST,
  DEFAULT_LIMITS,
  DEFAULT_PORT,
  DEFAULT_RETENTION,
  type LogLevel,
  type RelayHealth,
  type RelayLimits,
  type RelayOptions,
  type RetentionLimits,
  type RunningRelay,
} from './options.js';
export { CloseCode, ErrorCode, RefusalReason, RelayStartError } from './errors.js';
export * as wire from './wire.js';
export { MemoryRoomStore } from './memory-store.js';
export { startRelay } from './relay.js';
export { main, parseRelayArgs } from './cli.js';
export { admissionMac } from './admission.js';
