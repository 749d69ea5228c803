import { BerthError } from '../../errors.js';
import type { Driver } from './driver.js';
import { containerDriver } from './container.js';
import { processDriver } from './process.js';
import { sandboxDriver } from './sandbox.js';

/** The drivers by name. */
export const DRIVERS: Record<string, Driver> = {
  process: processDriver,
  sandbox: sandboxDriver,
  container: containerDriver,
};

/** The driver of that name (BERTH_E_USAGE for an unknown one). */
export function driverNamed(name: string): Driver {
  const d = DRIVERS[name];
  if (!d) {
    throw new BerthError('BERTH_E_USAGE', `There is no driver ${JSON.stringify(name)}`, {
      expected: Object.keys(DRIVERS).join(', '),
    });
  }
  return d;
}
