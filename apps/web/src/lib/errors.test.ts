import { SealroomClientError } from '@sealroom/client';
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
  it('says what is wrong with a refused backup file', () => {
    expect(describeError(new SealroomClientError('BAD_BACKUP', 'part 2 of 5 is damaged or was altered'))).toEqual({
      code: 'BAD_BACKUP',
      message: 'That file is not a Sealroom backup, or it is damaged: part 2 of 5 is damaged or was altered.',
    });
    expect(describeError(new SealroomClientError('BAD_BACKUP'))).toEqual({
      code: 'BAD_BACKUP',
      message: 'That file is not a Sealroom backup, or it is damaged.',
    });
  });
});
