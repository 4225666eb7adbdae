import { describe, expect, it } from 'vitest';
import { describeError } from './errors.js';

describe('describeError', () => {
  it('maps client codes to plain words', () => {
    expect(describeError({ code: 'WRONG_PASSWORD' })).toEqual({
      code: 'WRONG_PASSWORD',
      message: 'That password is not right. Nothing was changed; try again.',
    });
  });
  it('keeps unknown errors readable', () => {
    expect(describeError(new Error('boom'))).toEqual({ code: 'UNKNOWN', message: 'boom' });
    expect(describeError('x')).toEqual({ code: 'UNKNOWN', message: 'Something went wrong.' });
  });
});
