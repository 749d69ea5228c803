/** What the synthetic-data modules share: the random source type and their one error. */
import { BerthError } from '../errors.js';
import type { Property } from './property.js';

export type { Rand } from './kind.js';

/** BERTH_E_SYNTH_UNSUPPORTED for a property berth cannot make a value of. */
export function synthUnsupported(p: Property, message: string): BerthError {
  return new BerthError('BERTH_E_SYNTH_UNSUPPORTED', message, { property: p.path });
}
