import type { AlertWarning } from '../../../lib/warnings.js';

/** A trust alert (key change, name clash): stays until the user deliberately acknowledges it. */
export type TrustAlert = AlertWarning & {
  id: string;
  at: number;
};

export interface WarningsState {
  alerts: TrustAlert[];
}

export const initialWarningsState: WarningsState = { alerts: [] };
