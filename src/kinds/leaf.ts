import type { Property } from './property.js';
import type { ValueProblem } from './value.js';

/**
 * How a kind stored as one non-text file (a media file, an `.npy`, a DICOM image) is checked,
 * read and written. Text kinds use {@link TextForm} instead; directories are walked by the tree
 * engines.
 */
export interface LeafIO<R = unknown> {
  /** Checks a file from a prefix where a prefix decides; returns every problem found. */
  check(path: string, size: number, p: Property): Promise<ValueProblem[]>;
  /** Reads the file into the value machine code sees (throws a BerthError when it is wrong). */
  read(path: string, p: Property): Promise<R>;
  /** Validates a value against the property, then writes it atomically (throws a BerthError). */
  write(path: string, value: unknown, p: Property): Promise<void>;
  /** Describes the values `write` accepts, for messages and generated types. */
  readonly accepts: string;
}
