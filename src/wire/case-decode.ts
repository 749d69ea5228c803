/**
 * Wire document → tree: a JSON or msgpack document holding one side's values becomes an input (or
 * output) tree, through the schema.
 *
 * Three steps, so that a document can never leave a tree the schema forbids:
 * 1. **Check, in memory.** Every value is checked against its property with the checks the SDK's
 *    writers use — the kinds' text forms (with every keyword), the ndarray dtype/shape rule, the
 *    file MIME check, the DICOM header scan and the property's DICOM constraints — and undeclared
 *    keys, missing required properties and malformed bytes are found. Every problem is collected
 *    (up to `maxProblems`) with a JSON pointer into the document; nothing is written if any.
 * 2. **Write**, through the SDK's validating writers (`writeValue`, the DICOM output layer storing
 *    instances by their UIDs in the platform's input layout).
 * 3. **Check what only the whole folder tells**: each DICOM series and study folder is checked as
 *    `checkTree` checks it (instance counts, one frame of reference per series). A problem here
 *    removes everything written.
 *
 * The directory must be absent or empty: on any failure its contents are removed, so the caller
 * is left with no tree rather than half of one.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, toBerthError } from '../errors.js';
import type { Property } from '../kinds/property.js';
import { itemCountProblem } from '../kinds/array.js';
import { kindOf } from '../kinds/registry.js';
import { DicomOutputs } from '../sdk/dicom-writer.js';
import { writeValue, type WriteScope } from '../sdk/write-value.js';
import { safeJoin } from '../tree/safe-path.js';
import { pointerTo, wireLimits, type WireFormat, type WireLimits } from './case-format.js';
import { checkSize, parseJsonDocument, parseMsgpackDocument } from './case-parse.js';
import { checkDicomFolders, decodeDicom } from './decode-dicom.js';
import { decodeScalar, decodeTensor } from './decode-values.js';
import {
  bytesOf,
  EnoughProblems,
  WireDecodeError,
  countEntries,
  describe,
  entriesOf,
  record,
  report,
  reportError,
  tooDeep,
  type Decoded,
  type Walk,
} from './decode-walk.js';
import { parseJsonLazily, type JsonSlices } from './json-slices.js';
import type { ValueProblem, WireDecodeContext } from '../kinds/kind.js';
import type { NdArray } from '../ndarray/ndarray.js';

export { WireDecodeError } from './decode-walk.js';

/** Options of the decoders. */
export interface DecodeTreeOptions extends WireLimits {
  /** Problems collected before the check stops (default 100). */
  maxProblems?: number;
}

async function decodeMembers(
  walk: Walk,
  props: readonly Property[],
  v: unknown,
  pointer: string,
  abs: string,
  owner: Property | undefined,
  depth: number,
): Promise<Record<string, unknown> | undefined> {
  if (tooDeep(walk, depth, pointer, owner)) return undefined;
  const entries = entriesOf(walk, v, pointer, owner);
  if (!entries) {
    return report(
      walk,
      'BERTH_E_VALUE_TYPE',
      `${owner ? `${owner.name} is ${owner.kind} and takes` : 'The document must be'} an object, not ${describe(v)}`,
      pointer,
      owner,
      `an object of ${props.map((m) => m.name).join(', ') || 'no members'}`,
    );
  }
  for (const key of entries.keys()) {
    if (!props.some((m) => m.name === key)) {
      report(
        walk,
        'BERTH_E_UNDECLARED_PROPERTY',
        `${JSON.stringify(key)} is not declared${owner ? ` in ${owner.name}` : ' in the schema'}`,
        pointerTo(pointer, key),
        owner,
        `one of ${props.map((m) => m.name).join(', ')}`,
      );
    }
  }
  const out = record();
  let ok = true;
  for (const m of props) {
    const value = entries.get(m.name);
    const at = pointerTo(pointer, m.name);
    if (value === undefined || value === null) {
      if (!m.nullable) {
        ok = report(walk, 'BERTH_E_WIRE_MISSING', `Required ${m.kind} ${m.name} is missing`, at, m) ?? false;
      }
      continue;
    }
    countEntries(walk, 1, at, m);
    const decoded = await decodeValue(walk, m, value, at, path.join(abs, m.name), depth + 1);
    if (decoded === undefined) ok = false;
    else out[m.name] = decoded;
  }
  return ok ? out : undefined;
}

async function decodeValue(
  walk: Walk,
  p: Property,
  v: unknown,
  pointer: string,
  abs: string,
  depth: number,
): Promise<Decoded> {
  const kind = kindOf(p.kind);
  try {
    // Long strings cut out before parsing are put back where a kind stored as text reads them.
    const range = kind.storage.form === 'text' ? walk.slices?.rangeOf(v) : undefined;
    const value = range ? walk.slices!.text(range) : v;
    return await kind.wire.decode(value, p, new DecodeContext(walk, p, pointer, abs, depth));
  } catch (e) {
    return reportError(walk, e, pointer, p);
  }
}

/** Each kind's `wire.decode` says what its value is; this reads it in the document's format. */
class DecodeContext implements WireDecodeContext {
  constructor(
    private readonly walk: Walk,
    private readonly p: Property,
    private readonly pointer: string,
    private readonly abs: string,
    private readonly depth: number,
  ) {}

  get format(): WireFormat {
    return this.walk.format;
  }
  scalar(value: unknown): unknown {
    return decodeScalar(this.walk, this.p, value, this.pointer);
  }
  bytes(value: unknown, what: string): Uint8Array | undefined {
    return bytesOf(this.walk, this.p, value, this.pointer, what);
  }
  tensor(value: unknown): NdArray | undefined {
    return decodeTensor(this.walk, this.p, value, this.pointer);
  }
  members(props: readonly Property[], value: unknown): Promise<unknown> {
    return decodeMembers(this.walk, props, value, this.pointer, this.abs, this.p, this.depth);
  }
  items(value: unknown): Promise<unknown> {
    return decodeArray(this.walk, this.p, value, this.pointer, this.abs, this.depth);
  }
  dicom(value: unknown): unknown {
    return decodeDicom(this.walk, this.p, value, this.pointer, this.abs);
  }
  problem(problem: ValueProblem): undefined {
    return report(this.walk, problem.code, problem.message, this.pointer, this.p, problem.expected);
  }
}

async function decodeArray(
  walk: Walk,
  p: Property,
  v: unknown,
  pointer: string,
  abs: string,
  depth: number,
): Promise<unknown[] | undefined> {
  if (tooDeep(walk, depth, pointer, p)) return undefined;
  if (!Array.isArray(v)) {
    return report(
      walk,
      'BERTH_E_VALUE_TYPE',
      `${p.name} is an array and takes a list, not ${describe(v)}`,
      pointer,
      p,
    );
  }
  const count = itemCountProblem(v.length, p.keywords, p.name);
  if (count) report(walk, count.code, count.message, pointer, p, count.expected);
  const item = p.items;
  if (!item) return [];
  countEntries(walk, v.length, pointer, p, true);
  const out: unknown[] = [];
  let ok = true;
  for (let i = 0; i < v.length; i++) {
    const at = pointerTo(pointer, i);
    const value: unknown = v[i];
    if (value === undefined || value === null) {
      // An array has no absent items: a null item would leave a gap in 0..n-1.
      ok =
        report(
          walk,
          'BERTH_E_VALUE_TYPE',
          `Item ${i} of ${p.name} is null`,
          at,
          item,
          'a value for every item',
        ) ?? false;
      continue;
    }
    const decoded = await decodeValue(walk, item, value, at, path.join(abs, String(i)), depth + 1);
    if (decoded === undefined) ok = false;
    else out.push(decoded);
  }
  return ok ? out : undefined;
}

/**
 * Decodes a parsed document into a tree at `dir` (absent or empty; created) for the properties of
 * one side. Throws a {@link WireDecodeError} listing every problem when the document does not fit
 * the schema (nothing is left in `dir`), `BERTH_E_OUT_NOT_EMPTY` when `dir` holds anything, and
 * other BerthErrors for I/O failures.
 */
export function decodeTreeValue(
  format: WireFormat,
  props: readonly Property[],
  doc: unknown,
  dir: string,
  options: DecodeTreeOptions = {},
): Promise<void> {
  return decodeParsed(format, props, doc, undefined, dir, options);
}

/**
 * Decodes a JSON document's bytes (or text) into a tree: see {@link decodeTreeValue}. Bytes are
 * parsed with their long strings cut out (./json-slices.ts), several times faster for documents
 * that carry files.
 */
export async function decodeTreeJsonBytes(
  props: readonly Property[],
  body: Uint8Array | string,
  dir: string,
  options: DecodeTreeOptions = {},
): Promise<void> {
  if (typeof body === 'string') {
    await decodeParsed('json', props, parseJsonDocument(body, options), undefined, dir, options);
    return;
  }
  checkSize(body.byteLength, wireLimits(options));
  const { doc, slices } = parseJsonLazily(body);
  await decodeParsed('json', props, doc, slices, dir, options);
}

async function decodeParsed(
  format: WireFormat,
  props: readonly Property[],
  doc: unknown,
  slices: JsonSlices | undefined,
  dir: string,
  options: DecodeTreeOptions,
): Promise<void> {
  const root = path.resolve(dir);
  await requireEmpty(root);
  const limits = wireLimits(options);
  const walk: Walk = {
    format,
    problems: [],
    maxProblems: Math.max(1, options.maxProblems ?? 100),
    maxDepth: limits.maxDepth,
    maxEntries: limits.maxEntries,
    maxArrayItems: limits.maxArrayItems,
    entries: 0,
    dicom: [],
    slices,
  };
  let values: Record<string, unknown> | undefined;
  let truncated = false;
  try {
    values = await decodeMembers(walk, props, doc, '', root, undefined, 1);
  } catch (e) {
    if (!(e instanceof EnoughProblems)) throw e;
    truncated = true;
  }
  if (walk.problems.length > 0 || !values) {
    throw new WireDecodeError(
      walk.problems.length > 0
        ? walk.problems
        : [new BerthError('BERTH_E_INTERNAL', 'The document was refused without a reason', { path: '' })],
      truncated,
    );
  }
  await mkdir(root, { recursive: true });
  try {
    await writeTree(props, values, root);
    await checkDicomFolders(walk);
  } catch (e) {
    await clear(root);
    throw e;
  }
}

async function requireEmpty(root: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') return;
    throw toBerthError(e, 'BERTH_E_IO', { path: root, expected: 'an empty or absent directory' });
  }
  if (entries.length > 0) {
    throw new BerthError('BERTH_E_OUT_NOT_EMPTY', `${root} holds ${entries.length} entries`, {
      path: root,
      expected: 'an empty or absent directory',
    });
  }
}

async function clear(root: string): Promise<void> {
  const entries = await readdir(root).catch(() => [] as string[]);
  await Promise.all(
    entries.map((e) => rm(path.join(root, e), { recursive: true, force: true }).catch(() => undefined)),
  );
}

async function writeTree(
  props: readonly Property[],
  values: Record<string, unknown>,
  root: string,
): Promise<void> {
  const outputs = new DicomOutputs();
  const scope: WriteScope = { dicomOutputs: outputs };
  for (const p of props) {
    const value = values[p.name];
    if (value === undefined) continue;
    await writeValue(p, safeJoin(root, p.name), value, scope);
  }
}

/**
 * Decodes a JSON document (already parsed: a plain object as `JSON.parse` returns it) into a tree.
 * See {@link decodeTreeValue}.
 */
export function decodeTreeJson(
  props: readonly Property[],
  doc: unknown,
  dir: string,
  options: DecodeTreeOptions = {},
): Promise<void> {
  return decodeTreeValue('json', props, doc, dir, options);
}

/**
 * Decodes a msgpack document's bytes into a tree (see {@link decodeTreeValue}). Bin values are
 * written from views on `bytes`: do not change them until the promise settles.
 */
export function decodeTreeMsgpack(
  props: readonly Property[],
  bytes: Uint8Array,
  dir: string,
  options: DecodeTreeOptions = {},
): Promise<void> {
  return Promise.resolve()
    .then(() => parseMsgpackDocument(bytes, options))
    .then((doc) => decodeTreeValue('msgpack', props, doc, dir, options));
}
