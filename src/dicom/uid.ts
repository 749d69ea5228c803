/**
 * DICOM UIDs: syntax check and generation.
 *
 * berth makes UIDs under the `2.25` root (PS3.5 B.2: a UUID written as one decimal integer), so it
 * needs no registered organisation root. Generated UIDs are deterministic when seeded — the same
 * seed and name give the same UID — which keeps synthetic test data reproducible.
 */
import { createHash, randomUUID } from 'node:crypto';
import { BerthError } from '../errors.js';

/** berth's ImplementationClassUID in the file meta of files it writes (a fixed 2.25 UUID). */
export const BERTH_IMPLEMENTATION_CLASS_UID = '2.25.79903136308147761480900662706991270230';
/** berth's ImplementationVersionName (SH, at most 16 characters). */
export const BERTH_IMPLEMENTATION_VERSION = 'BERTH_0_1';

const UID_SYNTAX = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/;

/** True for a valid UID: digits and dots, components without leading zeros, at most 64 characters. */
export function isValidUid(uid: string): boolean {
  return uid.length <= 64 && UID_SYNTAX.test(uid);
}

/** The `2.25.<decimal>` UID of a UUID (`xxxxxxxx-xxxx-...`). */
export function uidFromUuid(uuid: string): string {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new BerthError('BERTH_E_UID_FORMAT', `Not a UUID: ${uuid}`);
  return `2.25.${BigInt(`0x${hex}`).toString(10)}`;
}

/** A new random UID under 2.25 (from a version 4 UUID). */
export function randomUid(): string {
  return uidFromUuid(randomUUID());
}

/**
 * A deterministic UID under 2.25: the SHA-256 of the seed and name parts, cut to 128 bits and
 * marked as a version 8 (custom) UUID, so the result is a valid UUID-derived UID.
 */
export function seededUid(seed: string | number, ...name: (string | number)[]): string {
  const digest = createHash('sha256')
    .update([String(seed), ...name.map(String)].join('\u0000'))
    .digest();
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  return uidFromUuid(digest.subarray(0, 16).toString('hex'));
}

/**
 * Makes the UIDs of one synthetic data set: under 2.25 by default, or under a given root as
 * `<root>.<n>.<m>...` (the root must be valid and leave room: the result is checked to be ≤ 64).
 */
export class UidMaker {
  constructor(
    private readonly seed: string | number,
    private readonly root?: string,
  ) {
    if (root !== undefined && !isValidUid(root)) {
      throw new BerthError('BERTH_E_UID_FORMAT', `UID root ${JSON.stringify(root)} is not a valid UID`, {
        expected: 'digits and dots, no leading zeros, at most 64 characters',
      });
    }
  }

  /**
   * The UID for a name path, e.g. `uid('study', 0, 'series', 2)`: `2.25.<hash>` by default, or
   * `<root>.<hash digits>` cut to fit 64 characters under a root.
   */
  uid(...name: (string | number)[]): string {
    const full = seededUid(this.seed, ...name);
    if (this.root === undefined) return full;
    const room = 64 - this.root.length - 1;
    if (room < 8) {
      throw new BerthError('BERTH_E_UID_FORMAT', `UID root ${this.root} leaves no room for unique UIDs`, {
        expected: 'a UID root of at most 56 characters',
      });
    }
    const digits = full.slice(5).slice(0, room).replace(/^0+/, '') || '1';
    return `${this.root}.${digits}`;
  }
}
