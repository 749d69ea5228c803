/**
 * The state of one decode walk (./case-decode.ts) and what its parts share: the problems found,
 * with JSON pointers, the limits, the entries counted, the DICOM planned; how a problem is
 * reported, and how bytes are read from either format.
 */
import { BerthError, toBerthError, type Code, type Finding } from '../errors.js';
import type { DicomHeader } from '../dicom/scan.js';
import type { Property } from '../kinds/property.js';
import { decodeBase64 } from './base64.js';
import type { WireFormat } from './case-format.js';
import type { JsonSlices } from './json-slices.js';

/**
 * A document that does not fit its schema: the first problem's code and message, and every
 * problem found (each a {@link BerthError} whose `path` is a JSON pointer into the document, such
 * as `/measurements/2/area-mm2`, and whose `property` is the schema path). It is a BerthError, so
 * callers that handle one problem need nothing more.
 */
export class WireDecodeError extends BerthError {
  /** Every problem, in document order (the first is this error's own code). */
  readonly problems: readonly BerthError[];

  constructor(problems: readonly BerthError[], truncated: boolean) {
    const first = problems[0]!;
    super(first.code, undefined, {
      ...(first.path === undefined ? {} : { path: first.path }),
      ...(first.property === undefined ? {} : { property: first.property }),
      ...(first.expected === undefined ? {} : { expected: first.expected }),
    });
    const more = problems.length - 1;
    this.message =
      first.message +
      (more > 0 ? ` (and ${more}${truncated ? '+' : ''} more problem${more === 1 ? '' : 's'})` : '');
    this.problems = problems;
  }

  /** The problems as findings: `path` is the JSON pointer, `message` the problem without it. */
  toFindings(): Finding[] {
    return this.problems.map((p) => ({ ...p.toFinding(), message: p.detail }));
  }
}

/** Thrown inside the walk once `maxProblems` are collected. */
export class EnoughProblems extends Error {}

/** One DICOM instance of the document: where it is, its header, where the writer will store it. */
export interface PlannedInstance {
  readonly pointer: string;
  readonly header: DicomHeader;
  readonly target: string;
}

/** One DICOM value of the document, for the folder check after writing. */
export interface PlannedDicom {
  readonly p: Property;
  readonly pointer: string;
  readonly abs: string;
  readonly instances: PlannedInstance[];
}

export interface Walk {
  readonly format: WireFormat;
  readonly problems: BerthError[];
  readonly maxProblems: number;
  readonly maxDepth: number;
  readonly maxEntries: number;
  readonly maxArrayItems: number;
  /** Tree entries the document creates so far (values, array items, DICOM instances). */
  entries: number;
  readonly dicom: PlannedDicom[];
  /** Long JSON strings cut out before parsing (./json-slices.ts), resolved where they are used. */
  readonly slices: JsonSlices | undefined;
}

export function report(
  walk: Walk,
  code: Code,
  message: string,
  pointer: string,
  p: Property | undefined,
  expected?: string,
): undefined {
  walk.problems.push(
    new BerthError(code, message, {
      path: pointer,
      ...(p ? { property: p.path } : {}),
      ...(expected === undefined ? {} : { expected }),
    }),
  );
  if (walk.problems.length >= walk.maxProblems) throw new EnoughProblems();
  return undefined;
}

/** Reports BERTH_E_TOO_DEEP when `depth` is past the limit; true then (the walk goes no deeper). */
export function tooDeep(walk: Walk, depth: number, pointer: string, p: Property | undefined): boolean {
  if (depth <= walk.maxDepth) return false;
  report(walk, 'BERTH_E_TOO_DEEP', `The document is nested deeper than ${walk.maxDepth} levels`, pointer, p);
  return true;
}

/**
 * Counts `n` more tree entries at `pointer`, `n` being the items of one list when `list`: past
 * either limit the walk stops at once (the rest would only cost time), with the problem reported.
 */
export function countEntries(
  walk: Walk,
  n: number,
  pointer: string,
  p: Property | undefined,
  list = false,
): void {
  if (list && n > walk.maxArrayItems) {
    report(
      walk,
      'BERTH_E_TOO_MANY_ENTRIES',
      `The list has ${n} items`,
      pointer,
      p,
      `at most ${walk.maxArrayItems} items (maxArrayItems)`,
    );
    throw new EnoughProblems();
  }
  walk.entries += n;
  if (walk.entries > walk.maxEntries) {
    report(
      walk,
      'BERTH_E_TOO_MANY_ENTRIES',
      `The document creates more than ${walk.maxEntries} tree entries`,
      pointer,
      p,
      `at most ${walk.maxEntries} entries (maxEntries)`,
    );
    throw new EnoughProblems();
  }
}

/** Reports a BerthError thrown by a codec, re-pointed at the document. */
export function reportError(walk: Walk, e: unknown, pointer: string, p: Property): undefined {
  if (e instanceof EnoughProblems) throw e;
  const err = toBerthError(e, 'BERTH_E_WIRE_FORMAT');
  const detail = err.detail;
  return report(walk, err.code, detail, pointer, p, err.expected);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Map) return 'a map';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'bigint') return 'an integer';
  return `${typeof v} ${String(v)}`;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A value decoded into what the SDK writer of its property takes; undefined after a problem. */
export type Decoded = unknown;

/** A null-prototype object, so that no member name (`__proto__` included) is special. */
export function record(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/** Bytes: base64 text in JSON, bin in msgpack. */
export function bytesOf(
  walk: Walk,
  p: Property,
  v: unknown,
  pointer: string,
  what: string,
): Uint8Array | undefined {
  if (walk.format === 'json') {
    if (typeof v !== 'string') {
      return report(
        walk,
        'BERTH_E_VALUE_TYPE',
        `${what} is given as base64 text, not ${describe(v)}`,
        pointer,
        p,
        'a base64 string',
      );
    }
    const range = walk.slices?.rangeOf(v);
    return decodeBase64(range ? walk.slices!.latin1(range) : v, { path: pointer, property: p.path });
  }
  if (!(v instanceof Uint8Array)) {
    return report(
      walk,
      'BERTH_E_VALUE_TYPE',
      `${what} is given as msgpack bin, not ${describe(v)}`,
      pointer,
      p,
      'msgpack bin',
    );
  }
  return v;
}

/**
 * The entries of a document object: a JSON object, or a msgpack map (a `Map`, whose keys must be
 * str). Undefined when `v` is not an object.
 */
export function entriesOf(
  walk: Walk,
  v: unknown,
  pointer: string,
  owner: Property | undefined,
): Map<string, unknown> | undefined {
  if (v instanceof Map && walk.format === 'msgpack') {
    const out = new Map<string, unknown>();
    for (const [k, value] of v) {
      if (typeof k !== 'string') {
        report(
          walk,
          'BERTH_E_WIRE_FORMAT',
          `A key of the map is ${describe(k)}, not a str`,
          pointer,
          owner,
          'property names as msgpack str keys',
        );
        continue;
      }
      out.set(k, value);
    }
    return out;
  }
  if (isPlainObject(v)) return new Map(Object.entries(v));
  return undefined;
}
