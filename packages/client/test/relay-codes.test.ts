/**
 * The client mirrors the relay's error codes (PROTOCOL A.7) instead of importing the relay:
 * this test holds the mirror to the relay's own list, at the type level and on the wire.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@sealroom/relay';
import type { RelayErrorCode } from '../src/index.js';
import { parseServerMessage } from '../src/wire.js';

// Each union must cover the other: a code added on one side only fails the typecheck.
const relayCovered: Record<ErrorCode, true> = {} as Record<RelayErrorCode, true>;
const clientCovered: Record<RelayErrorCode, true> = {} as Record<ErrorCode, true>;
void relayCovered;
void clientCovered;

const ROOM = 'A'.repeat(43);
const errorFrame = (code: unknown) => JSON.stringify({ v: 2, t: 'error', code, message: 'refused', room: ROOM });

describe('relay error codes', () => {
  it('every code the relay sends arrives as itself', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(parseServerMessage(errorFrame(code))).toEqual({ t: 'error', code, message: 'refused', room: ROOM });
    }
  });

  it('a code this client does not know, or none, arrives as UNKNOWN_RELAY_ERROR with its message', () => {
    expect(parseServerMessage(errorFrame('SOMETHING_NEW'))).toMatchObject({ t: 'error', code: 'UNKNOWN_RELAY_ERROR', message: 'refused' });
    expect(parseServerMessage(errorFrame(undefined))).toMatchObject({ t: 'error', code: 'UNKNOWN_RELAY_ERROR' });
    expect(parseServerMessage(errorFrame('__proto__'))).toMatchObject({ t: 'error', code: 'UNKNOWN_RELAY_ERROR' });
  });
});
