import type { Warning, WarningCodes, WarningKind } from '@sealroom/client';

/**
 * Where the app shows each kind of warning: as a line in the timeline where the message
 * would have been, as a trust alert above the conversation that stays until the user
 * acknowledges it, or not at all. A new kind fails the typecheck until it is placed here.
 */
export const WARNING_PLACE = {
  'bad-message': 'line',
  replay: 'line',
  'unknown-sender': 'line',
  'relay-error': 'line',
  'key-changed': 'alert',
  'name-clash': 'alert',
  'mixed-script': 'alert',
  'stale-epoch': 'line',
  // Not shown yet: a failed local write has no place in the UI.
  'storage-error': 'none',
} as const satisfies Record<WarningKind, 'line' | 'alert' | 'none'>;

type KindsPlaced<P> = { [K in WarningKind]: (typeof WARNING_PLACE)[K] extends P ? K : never }[WarningKind];
/** Kinds shown as a line in the timeline. */
export type LineWarningKind = KindsPlaced<'line'>;
/** Kinds shown as a trust alert. */
export type AlertWarningKind = KindsPlaced<'alert'>;

export type LineWarning = Extract<Warning, { kind: LineWarningKind }>;
export type AlertWarning = Extract<Warning, { kind: AlertWarningKind }>;

export const isLineWarning = (warning: Warning): warning is LineWarning => WARNING_PLACE[warning.kind] === 'line';
export const isAlertWarning = (warning: Warning): warning is AlertWarning => WARNING_PLACE[warning.kind] === 'alert';

/** The words of a warning line, by kind. */
export const WARNING_LINE_TEXT: Record<LineWarningKind, string> = {
  'bad-message': 'A message failed its security check and was not shown.',
  replay: 'A repeated copy of an earlier message was ignored.',
  'unknown-sender': 'A message from someone who is not a member was not shown.',
  'relay-error': 'The relay refused a request.',
  'stale-epoch': 'A member sent something before seeing the latest membership change; it appears once they catch up.',
};

/** What a relay refusal (or a message the client could not send) means to a person, by code. */
export const RELAY_ERROR_TEXT: Record<WarningCodes['relay-error'], string> = {
  BAD_JSON: 'The relay could not read a request from this app.',
  BAD_MESSAGE: 'The relay refused a malformed request from this app.',
  UNSUPPORTED_VERSION: 'The relay speaks another protocol version than this app.',
  UNKNOWN_TYPE: 'The relay did not understand a request from this app.',
  BAD_FRAME: 'The relay refused a malformed message from this app.',
  BAD_ROOM: 'The relay refused a request naming an invalid room.',
  NOT_JOINED: 'The relay had not admitted this browser to the room yet.',
  NO_CHALLENGE: 'The relay was not expecting an admission proof.',
  ADMISSION_DENIED: 'The relay refused this invite. It may have been mistyped or the room is gone.',
  ROOM_LIMIT: 'The relay allows no more rooms on one connection.',
  RATE_LIMITED: 'The relay is limiting how fast this browser sends; it will try again shortly.',
  MESSAGE_TOO_LARGE: 'The relay refused a request that was too large.',
  UNAVAILABLE: 'The relay’s storage is unavailable right now; it will try again shortly.',
  PIN_LIMIT: 'The relay keeps no more membership changes for this room.',
  HISTORY_LIMITED: 'The relay is pacing how fast this browser catches up; it will go on shortly.',
  REGISTRATION_LIMITED: 'The relay is limiting how many new rooms this network makes; it will try again shortly.',
  STORE_FULL: 'The relay holds as many rooms as it can and cannot take a new one.',
  NOT_CONNECTED: 'Not connected to the relay.',
  DISCONNECTED: 'The connection to the relay dropped.',
  ENVELOPE_TOO_LARGE: 'A message was larger than this relay accepts.',
  UNKNOWN_RECIPIENT: 'A private message could not be sent: its recipient left the room.',
  PROOF_FAILED: 'This browser could not prove to the relay that it holds the invite.',
  BAD_ROOM_ID: 'A room stored in this browser has an invalid id.',
  UNKNOWN_RELAY_ERROR: 'The relay refused a request.',
  SEND_FAILED: 'A queued message could not be sent.',
};
