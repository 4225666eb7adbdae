/** Why a publish or a room on the relay connection failed. */
import type { TransportErrorCode } from './codes.js';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string = code,
  ) {
    super(message);
  }
}
