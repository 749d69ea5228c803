/**
 * Delivery of a run's DICOM outputs to one destination, and the back-off between attempts. The
 * retry queue itself is on disk: each run's deliveries in its group's state.json (group-state.ts),
 * so a destination that is down delays delivery and a restart resumes it — nothing is lost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { deliverInSyntax } from '../dicom/deliver.js';
import { TS } from '../dicom/transfer-syntax.js';
import { cStoreRaw, type ScuTarget } from './raw-scu.js';
import { readBearerToken, type Destination } from './dest.js';
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

/**
 * C-STORE: byte for byte by berth's own SCU; the files whose transfer syntax the peer refuses
 * are converted to explicit VR little endian (as berth converts a machine's inputs) and sent again.
 */
async function cStore(target: ScuTarget, files: readonly string[]): Promise<void> {
  const refused = await cStoreRaw(target, files);
  if (refused.length === 0) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-send-'));
  try {
    const converted = refused.map((_, i) => path.join(dir, `${i}.dcm`));
    for (const [i, file] of refused.entries()) {
      await deliverInSyntax(file, converted[i]!, [TS.ExplicitVRLittleEndian]);
    }
    if ((await cStoreRaw(target, converted)).length > 0) {
      throw new BerthError(
        'BERTH_E_LISTEN_DELIVERY',
        `C-STORE to ${target.calledAet}@${target.host}:${target.port}: the peer takes neither the syntax of ${refused[0]} nor explicit VR little endian`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** STOW-RS, with the token read from its file at each attempt (a rotated token needs no restart). */
async function stow(url: URL, files: readonly string[], tokenFile: string | undefined): Promise<void> {
  const token = tokenFile === undefined ? undefined : await readBearerToken(tokenFile);
  await stowFiles(url, files, undefined, token);
}

/**
 * Sends `files` to `dest`; rejects with BERTH_E_LISTEN_DELIVERY when it did not store them all
 * (STOW-RS: BERTH_E_LISTEN_DEST_AUTH when refused for credentials, BERTH_E_LISTEN_DEST_TOKEN when
 * the token file cannot be read now).
 */
export function deliver(dest: Destination, files: readonly string[], callingAet: string): Promise<void> {
  switch (dest.protocol) {
    case 'dimse':
      return cStore({ host: dest.host, port: dest.port, calledAet: dest.aet, callingAet }, files);
    case 'stow':
      return stow(dest.url, files, dest.tokenFile);
    default: {
      const never: never = dest;
      throw new Error(`unknown destination ${String(never)}`);
    }
  }
}
