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
import { checkDicomProperty, instanceProblems } from '../check/dicom.js';
import { scanHeaderBytes, type DicomHeader } from '../dicom/scan.js';
import { BerthError, toBerthError, type Code, type Finding } from '../errors.js';
import { MAGIC_PREFIX_BYTES } from '../kinds/file-handle.js';
import { contentProblem } from '../kinds/file.js';
import { ndarrayProblem } from '../kinds/ndarray.js';
import type { Property } from '../kinds/property.js';
import { kindOf } from '../kinds/registry.js';
import type { ValueProblem } from '../kinds/value.js';
import type { NdArray } from '../ndarray/ndarray.js';
import { DicomOutputs } from '../sdk/dicom-writer.js';
import { writeValue, type WriteScope } from '../sdk/write-value.js';
import { MAX_TEXT_BYTES } from '../tree/read-text.js';
import { safeJoin } from '../tree/safe-path.js';
import { decodeBase64 } from './base64.js';
import { pointerTo, wireLimits, type WireFormat, type WireLimits } from './case-format.js';
import { parseJsonLazily, type JsonSlices } from './json-slices.js';
import { decodeNdarrayJson, isNdarrayJson } from './ndarray-json.js';
import { checkSize, parseJsonDocument, parseMsgpackDocument } from './case-parse.js';
import { decodeNdarrayMsgpack, isNdarrayMsgpack } from './ndarray-msgpack.js';

/** Options of the decoders. */
export interface DecodeTreeOptions extends WireLimits {
  /** Problems collected before the check stops (default 100). */
  maxProblems?: number;
}

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
class EnoughProblems extends Error {}

/** One DICOM instance of the document: where it is, its header, where the writer will store it. */
interface PlannedInstance {
  readonly pointer: string;
  readonly header: DicomHeader;
  readonly target: string;
}

/** One DICOM value of the document, for the folder check after writing. */
interface PlannedDicom {
  readonly p: Property;
  readonly pointer: string;
  readonly abs: string;
  readonly instances: PlannedInstance[];
}

interface Walk {
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

function report(
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

/**
 * Counts `n` more tree entries at `pointer`, `n` being the items of one list when `list`: past
 * either limit the walk stops at once (the rest would only cost time), with the problem reported.
 */
function countEntries(walk: Walk, n: number, pointer: string, p: Property | undefined, list = false): void {
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
function reportError(walk: Walk, e: unknown, pointer: string, p: Property): undefined {
  if (e instanceof EnoughProblems) throw e;
  const err = toBerthError(e, 'BERTH_E_WIRE_FORMAT');
  const detail = err.detail;
  return report(walk, err.code, detail, pointer, p, err.expected);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Map) return 'a map';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'bigint') return 'an integer';
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The entries of a document object: a JSON object, or a msgpack map (a `Map`, whose keys must be
 * str). Undefined when `v` is not an object.
 */
function entriesOf(
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

/** A value decoded into what the SDK writer of its property takes; undefined after a problem. */
type Decoded = unknown;

/** A null-prototype object, so that no member name (`__proto__` included) is special. */
function record(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
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
  if (depth > walk.maxDepth) {
    return report(
      walk,
      'BERTH_E_TOO_DEEP',
      `The document is nested deeper than ${walk.maxDepth} levels`,
      pointer,
      owner,
    );
  }
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
    if (kind.text) {
      const range = walk.slices?.rangeOf(v);
      return decodePrimitive(walk, p, range ? walk.slices!.text(range) : v, pointer);
    }
    switch (p.kind) {
      case 'file':
        return await decodeFile(walk, p, v, pointer);
      case 'ndarray':
        return decodeNdarray(walk, p, v, pointer);
      case 'dicom-image':
      case 'dicom-series':
      case 'dicom-study':
        return decodeDicom(walk, p, v, pointer, abs);
      default:
        break;
    }
    if (kind.shape === 'object')
      return await decodeMembers(walk, p.properties ?? [], v, pointer, abs, p, depth);
    if (kind.shape === 'array') return await decodeArray(walk, p, v, pointer, abs, depth);
  } catch (e) {
    return reportError(walk, e, pointer, p);
  }
  return report(walk, 'BERTH_E_INTERNAL', `No wire decoder for ${p.kind}`, pointer, p);
}

async function decodeArray(
  walk: Walk,
  p: Property,
  v: unknown,
  pointer: string,
  abs: string,
  depth: number,
): Promise<unknown[] | undefined> {
  if (depth > walk.maxDepth) {
    return report(
      walk,
      'BERTH_E_TOO_DEEP',
      `The document is nested deeper than ${walk.maxDepth} levels`,
      pointer,
      p,
    );
  }
  if (!Array.isArray(v)) {
    return report(
      walk,
      'BERTH_E_VALUE_TYPE',
      `${p.name} is an array and takes a list, not ${describe(v)}`,
      pointer,
      p,
    );
  }
  const { minItems, maxItems } = p.keywords;
  if ((minItems !== undefined && v.length < minItems) || (maxItems !== undefined && v.length > maxItems)) {
    report(
      walk,
      'BERTH_E_VALUE_CONSTRAINT',
      `${p.name} has ${v.length} items`,
      pointer,
      p,
      `between ${minItems ?? 0} and ${maxItems ?? '∞'} items`,
    );
  }
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

/** Truss' msgpack datetime: `{b"__dt_datetime_iso__": True, b"data": "2024-01-02T03:04:05Z"}`. */
function trussDateTime(v: unknown): string | undefined {
  if (!(v instanceof Map) || v.size !== 2) return undefined;
  let flag: unknown;
  let data: unknown;
  for (const [k, value] of v) {
    const name =
      typeof k === 'string' ? k : k instanceof Uint8Array ? Buffer.from(k).toString('latin1') : undefined;
    if (name === '__dt_datetime_iso__') flag = value;
    else if (name === 'data') data = value;
  }
  return flag === true && typeof data === 'string' ? data : undefined;
}

/** Primitive kinds: the value the kind's text form takes, checked by that text form. */
function decodePrimitive(walk: Walk, p: Property, v: unknown, pointer: string): Decoded {
  const text = kindOf(p.kind).text!;
  let value: unknown = v;
  if (p.kind === 'percentage' && typeof v === 'string') {
    // `"85%"` is accepted too: the percentage's own text form, read as the SDK reads a file.
    const parsed = text.parse(v, p);
    if (!parsed.ok)
      return report(walk, parsed.problem.code, parsed.problem.message, pointer, p, parsed.problem.expected);
    value = parsed.value;
  } else if (p.kind === 'date-time' && walk.format === 'msgpack') {
    // Python datetimes: Truss packs them as its ISO map, msgpack's `datetime=True` as a timestamp
    // (which msgpackr reads as a Date).
    value = trussDateTime(v) ?? v;
  } else if (p.kind === 'number' && typeof v === 'bigint') {
    value = Number(v);
  }
  const outcome = text.format(value, p);
  if (!outcome.ok)
    return report(walk, outcome.problem.code, outcome.problem.message, pointer, p, outcome.problem.expected);
  const problem = textFileProblem(outcome.value);
  if (problem) return report(walk, problem.code, problem.message, pointer, p, problem.expected);
  return value;
}

/**
 * The one size rule for the text a value file will hold, whatever the format and the string's
 * length: no larger than the readers read ({@link MAX_TEXT_BYTES}), so the decoder never writes a
 * tree its own check refuses. (Lone surrogates are the string kind's own refusal.)
 */
function textFileProblem(text: string): ValueProblem | undefined {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: count exactly only near the limit.
  if (text.length * 3 > MAX_TEXT_BYTES) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_TEXT_BYTES) {
      return {
        code: 'BERTH_E_VALUE_TOO_LARGE',
        message: `The text is ${bytes} bytes in UTF-8`,
        expected: `at most ${MAX_TEXT_BYTES} bytes (what berth reads from a value file)`,
      };
    }
  }
  return undefined;
}

/** Bytes: base64 text in JSON, bin in msgpack. */
function bytesOf(walk: Walk, p: Property, v: unknown, pointer: string, what: string): Uint8Array | undefined {
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

async function decodeFile(walk: Walk, p: Property, v: unknown, pointer: string): Promise<Decoded> {
  const bytes = bytesOf(walk, p, v, pointer, `The file ${p.name}`);
  if (!bytes) return undefined;
  const prefix = bytes.subarray(0, MAGIC_PREFIX_BYTES);
  const { problem } = await contentProblem(p.mimeType ?? 'application/octet-stream', prefix);
  if (problem) return report(walk, problem.code, problem.message, pointer, p, problem.expected);
  return bytes;
}

/** A msgpack map with str keys as a plain object (for the JSON array form sent inside msgpack). */
function strKeyed(v: unknown): unknown {
  if (!(v instanceof Map)) return v;
  const out = record();
  for (const [k, value] of v) {
    if (typeof k !== 'string') return v;
    out[k] = value;
  }
  return out;
}

/** The JSON array form with a cut-out `data_b64` put back as one-byte text. */
function resolveDataB64(walk: Walk, v: unknown): unknown {
  if (!walk.slices || !isPlainObject(v)) return v;
  const range = walk.slices.rangeOf(v['data_b64']);
  return range ? { ...v, data_b64: walk.slices.latin1(range) } : v;
}

function decodeNdarray(walk: Walk, p: Property, v: unknown, pointer: string): Decoded {
  const where = { path: pointer, property: p.path };
  let arr: NdArray;
  if (walk.format === 'json') arr = decodeNdarrayJson(resolveDataB64(walk, v), where);
  else if (isNdarrayMsgpack(v)) arr = decodeNdarrayMsgpack(v, where);
  // Chains' validator also takes the JSON form inside msgpack; so does berth.
  else if (isNdarrayJson(strKeyed(v))) arr = decodeNdarrayJson(strKeyed(v), where);
  else {
    return report(
      walk,
      'BERTH_E_WIRE_NDARRAY',
      `The ndarray ${p.name} is ${describe(v)}, not a msgpack-numpy map`,
      pointer,
      p,
      "msgpack-numpy's map {nd, type, kind, shape, data} or {data_b64, shape, dtype}",
    );
  }
  const problem = ndarrayProblem(arr.dtype, arr.shape, p);
  if (problem) return report(walk, problem.code, problem.message, pointer, p, problem.expected);
  return arr;
}

/** Checks DICOM instances in memory and plans where the writer stores them. */
function decodeDicom(walk: Walk, p: Property, v: unknown, pointer: string, abs: string): Decoded {
  const image = p.kind === 'dicom-image';
  const study = p.kind === 'dicom-study';
  let items: unknown[];
  if (image) items = [v];
  else if (Array.isArray(v)) items = v;
  else {
    return report(
      walk,
      'BERTH_E_VALUE_TYPE',
      `${p.name} is ${p.kind} and takes a list of instances, not ${describe(v)}`,
      pointer,
      p,
      `a list of DICOM Part 10 instances (${walk.format === 'json' ? 'base64' : 'bin'})`,
    );
  }
  if (!image && items.length === 0) {
    return report(
      walk,
      'BERTH_E_DICOM_EMPTY',
      `${p.name} lists no instances`,
      pointer,
      p,
      'at least one instance',
    );
  }
  if (!image) countEntries(walk, items.length, pointer, p, true);
  const planned: PlannedDicom = { p, pointer, abs, instances: [] };
  const sources: Uint8Array[] = [];
  const sops = new Map<string, string>();
  let series: DicomHeader | undefined;
  let ok = true;
  items.forEach((item, i) => {
    const at = image ? pointer : pointerTo(pointer, i);
    try {
      const bytes = bytesOf(
        walk,
        p,
        item,
        at,
        image ? `The instance ${p.name}` : `Instance ${i} of ${p.name}`,
      );
      if (!bytes) {
        ok = false;
        return;
      }
      const header = scanHeaderBytes(bytes, `${p.name}${image ? '' : `[${i}]`}`);
      const problems = instanceProblems(header, p);
      for (const problem of problems) report(walk, problem.code, problem.message, at, p, problem.expected);
      const earlier = sops.get(header.SOPInstanceUID);
      if (earlier !== undefined) {
        report(
          walk,
          'BERTH_E_DUPLICATE_INSTANCE',
          `SOPInstanceUID ${header.SOPInstanceUID} is also the instance at ${earlier}`,
          at,
          p,
          'each SOP instance once',
        );
        ok = false;
      }
      sops.set(header.SOPInstanceUID, at);
      if (series && !study && header.SeriesInstanceUID !== series.SeriesInstanceUID) {
        report(
          walk,
          'BERTH_E_DICOM_MIXED_SERIES',
          `SeriesInstanceUID ${header.SeriesInstanceUID} differs from ${series.SeriesInstanceUID} of the first instance`,
          at,
          p,
          'instances of one SeriesInstanceUID',
        );
        ok = false;
      }
      if (series && header.StudyInstanceUID !== series.StudyInstanceUID) {
        report(
          walk,
          'BERTH_E_DICOM_MIXED_STUDY',
          `StudyInstanceUID ${header.StudyInstanceUID} differs from ${series.StudyInstanceUID} of the first instance`,
          at,
          p,
          'instances of one StudyInstanceUID',
        );
        ok = false;
      }
      series ??= header;
      // The DICOM writer's layout; UIDs are data, so safeJoin refuses any that would not be one name.
      const target = image
        ? abs
        : study
          ? safeJoin(abs, header.SeriesInstanceUID, `${header.SOPInstanceUID}.dcm`)
          : safeJoin(abs, `${header.SOPInstanceUID}.dcm`);
      if (problems.length > 0) ok = false;
      planned.instances.push({ pointer: at, header, target });
      sources.push(bytes);
    } catch (e) {
      reportError(walk, e, at, p);
      ok = false;
    }
  });
  if (!ok) return undefined;
  walk.dicom.push(planned);
  return image ? sources[0] : sources;
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
  const scope: WriteScope = { dicom: outputs.write, dicomOutputs: outputs };
  for (const p of props) {
    const value = values[p.name];
    if (value === undefined) continue;
    await writeValue(p, safeJoin(root, p.name), value, scope);
  }
}

/** The folder checks of `checkTree` on every DICOM series and study written (counts, frames of reference). */
async function checkDicomFolders(walk: Walk): Promise<void> {
  const problems: BerthError[] = [];
  for (const planned of walk.dicom) {
    if (planned.p.kind === 'dicom-image') continue;
    const findings = await checkDicomProperty(planned.p, planned.abs, planned.p.side);
    for (const f of findings) {
      if (f.severity !== 'error') continue;
      const at = planned.instances.find((i) => i.target === f.path)?.pointer ?? planned.pointer;
      problems.push(
        new BerthError(f.code, f.message, {
          path: at,
          property: planned.p.path,
          ...(f.expected === undefined ? {} : { expected: f.expected }),
        }),
      );
    }
  }
  if (problems.length > 0) throw new WireDecodeError(problems, false);
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
