/**
 * Delivery of a run's DICOM outputs to one destination, and the back-off between attempts. The
 * retry queue itself is on disk: each run's deliveries in its group's state.json (group-state.ts),
 * so a destination that is down delays delivery and a restart resumes it — nothing is lost.
 */
import { cStoreFiles } from './cstore-scu.js';
import type { Destination } from './dest.js';
import { stowFiles } from './stow-client.js';

/** How deliveries are retried (`--retry-initial`, `--retry-max`, `--retry-attempts`). */
export interface RetryPolicy {
  /** Delay after the first failed attempt (default 5 s); doubles with each failure. */
  readonly initialMs: number;
  /** Longest delay between two attempts (default 10 min). */
  readonly maxMs: number;
  /** Attempts before the delivery is `failed` (default 30; the outputs stay in the spool). */
  readonly attempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 5_000, maxMs: 600_000, attempts: 30 };

/** The delay before attempt `failures + 1`, after `failures` failed attempts (≥ 1). */
export function backoffMs(policy: RetryPolicy, failures: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  return Math.min(policy.initialMs * 2 ** exponent, policy.maxMs);
}

/** Sends `files` to `dest`; rejects with BERTH_E_LISTEN_DELIVERY when it did not store them all. */
export function deliver(dest: Destination, files: readonly string[], callingAet: string): Promise<void> {
  switch (dest.protocol) {
    case 'dimse':
      return cStoreFiles({ host: dest.host, port: dest.port, calledAet: dest.aet, callingAet }, files);
    case 'stow':
      return stowFiles(dest.url, files);
    default: {
      const never: never = dest;
      throw new Error(`unknown destination ${String(never)}`);
    }
  }
}
