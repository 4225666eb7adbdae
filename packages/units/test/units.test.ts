import { describe, expect, it } from 'vitest';
import * as units from '../src/index.js';

describe('units', () => {
  it('holds exactly these values (a changed unit changes every size and timer built on it)', () => {
    expect({ ...units }).toEqual({
      KIB: 1_024,
      MIB: 1_048_576,
      GIB: 1_073_741_824,
      SECOND_MS: 1_000,
      MINUTE_MS: 60_000,
      HOUR_MS: 3_600_000,
      DAY_MS: 86_400_000,
      MINUTE_S: 60,
      HOUR_S: 3_600,
      DAY_S: 86_400,
      MILLISECOND_US: 1_000,
      SECOND_US: 1_000_000,
      MILLISECOND_NS: 1_000_000,
      SECOND_NS: 1_000_000_000,
    });
  });
});
