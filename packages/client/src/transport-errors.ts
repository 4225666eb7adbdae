/** Why a publish or a room on the relay connection failed. */

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(readonly code: string, message: string = code) {
    super(message);
  }
}
