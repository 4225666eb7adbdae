/**
 * Stable refusal codes of the relay (docs/PROTOCOL.md A.7 and A.9). A client branches on
 * the code; the message text is for people and may change.
 */
export const ErrorCode = {
  /** A text frame that is not a JSON object. Connection stays open. */
  BAD_JSON: 'BAD_JSON',
  /** A JSON message with missing or wrongly typed fields. Connection stays open. */
  BAD_MESSAGE: 'BAD_MESSAGE',
  /** `v` in JSON or the first byte of a binary frame is not a version the relay speaks. */
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  /** A JSON message whose `t` the relay does not know. */
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  /** A binary frame that is too short, empty, or of a kind a client may not send. */
  BAD_FRAME: 'BAD_FRAME',
  /** A room id that is not exactly 32 bytes (43 base64url characters in JSON). */
  BAD_ROOM: 'BAD_ROOM',
  /** Publish, history or leave for a room this connection is not admitted to. */
  NOT_JOINED: 'NOT_JOINED',
  /** A `prove` without a pending challenge for that room (never asked, or already used). */
  NO_CHALLENGE: 'NO_CHALLENGE',
  /** The admission proof did not verify. Only that room is refused. */
  ADMISSION_DENIED: 'ADMISSION_DENIED',
  /** Joining one more room would pass `maxRoomsPerConnection`. */
  ROOM_LIMIT: 'ROOM_LIMIT',
  /** The connection's message or byte token bucket is empty; the message was dropped. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A text frame larger than a control message may be (binary frames: close 1009). */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** The room store (for example Redis) failed; nothing was stored or delivered. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A pinned publish past `maxPinnedPerRoom`: nothing was stored or delivered. */
  PIN_LIMIT: 'PIN_LIMIT',
  /**
   * The catch-up output budget of this connection or its address is spent: the `history`
   * request was not answered. Carries `retryAfterMs`: ask again after that long.
   */
  HISTORY_LIMITED: 'HISTORY_LIMITED',
  /**
   * The address registered as many new rooms as it may for now: the `prove` stored nothing.
   * Carries `retryAfterMs`.
   */
  REGISTRATION_LIMITED: 'REGISTRATION_LIMITED',
  /**
   * The store holds `maxRooms` rooms and none can be forgotten for a new one (only rooms
   * without a connection and without any envelope are): the `prove` stored nothing.
   */
  STORE_FULL: 'STORE_FULL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Reasons the relay refuses or cuts a connection without an error message (the HTTP
 * upgrade is answered with a status, or the socket is closed). Counted in
 * `sealroom_refusals_total{reason}` together with the error codes above.
 */
export const RefusalReason = {
  /** Upgrade from an Origin not on the allow-list: HTTP 403. */
  ORIGIN_FORBIDDEN: 'ORIGIN_FORBIDDEN',
  /** More than `maxConnectionsPerAddress` open connections from one address: HTTP 429. */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** Upgrade request with more than `maxHeaderCount` headers: HTTP 431. */
  TOO_MANY_HEADERS: 'TOO_MANY_HEADERS',
  /** Request headers larger than `maxHeaderBytes` in total: HTTP 431. */
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  /** Upgrade on a path other than `/ws`, or not a valid WebSocket upgrade: HTTP 400/404. */
  BAD_UPGRADE: 'BAD_UPGRADE',
  /** A binary frame over `maxFrameBytes`: close 1009. */
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  /** Invalid WebSocket framing or UTF-8 (detected by `ws`): close 1002 / 1007. */
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  /** A message in more fragments (or buffered parts) than `ws` allows: close 1008. */
  TOO_MANY_FRAGMENTS: 'TOO_MANY_FRAGMENTS',
  /** No room admitted within `handshakeTimeoutMs` of connecting: close 4001. */
  HANDSHAKE_TIMEOUT: 'HANDSHAKE_TIMEOUT',
  /** No pong within one heartbeat interval: the socket is terminated. */
  HEARTBEAT_TIMEOUT: 'HEARTBEAT_TIMEOUT',
  /** `bufferedAmount` passed `maxBufferedBytes`: the socket is terminated. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/** Every label of `sealroom_refusals_total{reason}`: an error code or a refusal reason. */
export type RefusalCode = ErrorCode | RefusalReason;

/** WebSocket close codes the relay sends (RFC 6455 §7.4 and the private 4000–4999 range). */
export const CloseCode = {
  /** The server is shutting down (SIGTERM/SIGINT): reconnect, possibly elsewhere. */
  GOING_AWAY: 1001,
  /** Invalid WebSocket framing (sent by `ws`). */
  PROTOCOL_ERROR: 1002,
  /** A text frame that is not valid UTF-8 (sent by `ws`). */
  INVALID_PAYLOAD: 1007,
  /**
   * Policy violation (sent by `ws`): a message split into more fragments than its
   * `maxFragments` (16,384) or buffered in more parts than `maxBufferedChunks` (262,144).
   */
  POLICY_VIOLATION: 1008,
  /** A frame larger than `maxFrameBytes` (sent by `ws`). */
  MESSAGE_TOO_BIG: 1009,
  /** The client connected but was admitted to no room within `handshakeTimeoutMs`. */
  HANDSHAKE_TIMEOUT: 4001,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * The close codes the relay sends itself (the others come from `ws`), each with the
 * reason text that goes with it in the close frame.
 */
export const CLOSE_REASON = {
  [CloseCode.GOING_AWAY]: 'server shutting down',
  [CloseCode.HANDSHAKE_TIMEOUT]: 'handshake timeout',
} as const;

/** Why `startRelay` failed. */
type RelayStartErrorCode = 'REDIS_UNAVAILABLE' | 'LISTEN_FAILED' | 'DATA_DIR_UNUSABLE';

/** Why `startRelay` failed, as a value with a stable code. */
export class RelayStartError extends Error {
  constructor(
    readonly code: RelayStartErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RelayStartError';
  }
}
