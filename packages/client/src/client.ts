import { SealroomClientError } from './errors.js';
import type { SealroomClient, SealroomClientOptions } from './index.js';

export function createSealroomClient(_options: SealroomClientOptions): SealroomClient {
  throw new SealroomClientError('CLOSED', 'not implemented yet: the surface in index.ts is published first');
}
