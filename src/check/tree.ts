import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, finding, type Code, type Finding } from '../errors.js';
import { itemCountProblem } from '../kinds/array.js';
import { kindOf } from '../kinds/registry.js';
import type { Property, Side } from '../kinds/property.js';
import type { ValueProblem } from '../kinds/value.js';
import { isAtomicTempName } from '../tree/atomic.js';
import {
  ARRAY_INDEX,
  Limiter,
  classifyEntry,
  direntInfo,
  mapLimited,
  errnoOf,
  treeReadError,
  type EntryInfo,
} from '../tree/entry.js';
import { readTextFile } from '../tree/read-text.js';
import type { MachineDefinition } from './manifest.js';
import { leafOf, textFormOf, type DicomCheckContext } from '../kinds/kind.js';
import { inputUidsOf, type InputTree } from '../kinds/dicom-property.js';
import type { InputUidSource } from '../dicom/output-uids.js';

/** Options of {@link checkTree}. */
export interface TreeCheckOptions {
  /** Files read at once (default 64). */
  concurrency?: number;
  /**
   * Outputs: the machine's inputs — the input tree's root and `schema-in` properties, or an
   * {@link InputUidSource} over them — for the rules that relate outputs to inputs (DICOM outputs:
   * new SOP and series UIDs, the input's study UID). Without it outputs are checked without them.
   */
  inputs?: InputTree | InputUidSource;
}

/** A directory as findings name it (`shown`, under the root as given) and as it is read (`real`). */
interface Place {
  shown: string;
  real: string;
}

interface Walk {
  realRoot: string;
  side: Side;
  limiter: Limiter;
  /** Entries of one array checked at once (the limiter bounds the files open across the walk). */
  fanout: number;
  findings: Finding[];
  /** What the DICOM kinds' checks take (outputs: the input UIDs). */
  dicom: DicomCheckContext;
}

/**
 * Validates a whole input or output tree against a machine's schema and returns every finding,
 * each with a code, the entry's path and the property: missing required properties, values that
 * do not parse or break a constraint, undeclared entries, array gaps, files contradicting their
 * MIME type, symlinks leading out of the tree, special files, unreadable entries, leftovers of
 * interrupted writes. It never follows a symlink out of the root, never opens a special file, and
 * reads only prefixes of media and `.npy` files.
 */
export async function checkTree(
  definition: MachineDefinition,
  side: Side,
  dir: string,
  options: TreeCheckOptions = {},
): Promise<Finding[]> {
  let realRoot: string;
  try {
    realRoot = await realpath(dir);
    if (!(await stat(realRoot)).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new BerthError(
      code === 'ENOENT' ? 'BERTH_E_NOT_FOUND' : 'BERTH_E_TREE_NOT_DIRECTORY',
      `The tree ${dir} cannot be read`,
      {
        path: dir,
        expected: 'a directory',
      },
    );
  }
  // A concurrency below 1 would never start a read (and NaN would never finish): at least 1.
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 64) || 1);
  const walk: Walk = {
    realRoot,
    side,
    limiter: new Limiter(concurrency),
    fanout: concurrency,
    findings: [],
    dicom: side === 'out' && options.inputs ? { inputUids: inputUidsOf(options.inputs)! } : {},
  };
  const props = side === 'in' ? definition.inputs : definition.outputs;
  // Findings name entries as the caller sees them (under `dir` as given); reads go to real paths.
  await checkMembers(walk, { shown: path.resolve(dir), real: realRoot }, props);
  walk.findings.sort((a, b) => (a.path ?? '').localeCompare(b.path ?? '') || a.code.localeCompare(b.code));
  return walk.findings;
}

function report(
  walk: Walk,
  code: Code,
  message: string,
  abs: string,
  p: Property | undefined,
  expected?: string,
): void {
  walk.findings.push(
    finding(code, message, {
      path: abs,
      ...(p ? { property: p.path } : {}),
      ...(expected === undefined ? {} : { expected }),
    }),
  );
}

async function list(walk: Walk, dir: Place, p: Property | undefined): Promise<Dirent[] | undefined> {
  try {
    return await readdir(dir.real, { withFileTypes: true });
  } catch (e) {
    report(
      walk,
      'BERTH_E_TREE_UNREADABLE',
      `The directory cannot be listed (${(e as { code?: string }).code})`,
      dir.shown,
      p,
    );
    return undefined;
  }
}

/** Checks a directory holding the members of an object (or the root): declared, missing, extra. */
async function checkMembers(
  walk: Walk,
  dir: Place,
  props: readonly Property[],
  owner?: Property,
): Promise<void> {
  const entries = await list(walk, dir, owner);
  if (!entries) return;
  const byName = new Map(entries.map((d) => [d.name, d]));
  const jobs: Promise<void>[] = [];
  for (const p of props) {
    const dirent = byName.get(p.name);
    byName.delete(p.name);
    const abs = path.join(dir.shown, p.name);
    if (!dirent) {
      if (!p.nullable) {
        report(
          walk,
          'BERTH_E_TREE_MISSING',
          `Required ${p.kind} ${p.name} is missing`,
          abs,
          p,
          describeShape(p),
        );
      }
      continue;
    }
    jobs.push(checkEntry(walk, p, { shown: abs, real: path.join(dir.real, p.name) }, dirent));
  }
  for (const [name] of byName) reportStray(walk, path.join(dir.shown, name), owner, 'a declared property');
  await Promise.all(jobs);
}

function reportStray(walk: Walk, abs: string, owner: Property | undefined, expected: string): void {
  const name = path.basename(abs);
  if (isAtomicTempName(name)) {
    report(
      walk,
      'BERTH_E_TREE_PARTIAL_WRITE',
      `${name} is left over from a write that never finished`,
      abs,
      owner,
    );
  } else {
    // An output tree tells the rule too: the user learns it from the message, not from the platform.
    const message =
      walk.side === 'out'
        ? `${name} is not declared in schema-out: the EnvoyAI platform takes only the outputs the manifest declares, so every other file is an error (declare it, or do not write it)`
        : `${name} is not declared in schema-in`;
    report(walk, 'BERTH_E_TREE_UNDECLARED', message, abs, owner, expected);
  }
}

function describeShape(p: Property): string {
  const shape = kindOf(p.kind).shape;
  return shape === 'file'
    ? `a file holding ${kindOf(p.kind).label(p)}`
    : `a directory (${kindOf(p.kind).label(p)})`;
}

/** Checks one entry of any kind. */
async function checkEntry(walk: Walk, p: Property, at: Place, dirent?: Dirent): Promise<void> {
  const abs = at.shown;
  // Most entries are told by their Dirent alone: no promise, no system call.
  const info =
    (dirent && direntInfo(dirent, at.real)) ?? (await classifyEntry(at.real, walk.realRoot, dirent));
  if (!usable(walk, p, abs, info)) return;
  const kind = kindOf(p.kind);
  const wantFile = kind.shape === 'file';
  if (wantFile && info.kind !== 'file') {
    report(walk, 'BERTH_E_TREE_NOT_FILE', `${path.basename(abs)} is a directory`, abs, p, describeShape(p));
    return;
  }
  if (!wantFile && info.kind !== 'directory') {
    report(walk, 'BERTH_E_TREE_NOT_DIRECTORY', `${path.basename(abs)} is a file`, abs, p, describeShape(p));
    return;
  }
  const place = { shown: abs, real: info.real ?? at.real };
  switch (kind.shape) {
    case 'object':
      return checkMembers(walk, place, p.properties ?? [], p);
    case 'array':
      return checkArray(walk, p, place);
    case 'dicom-series':
    case 'dicom-study':
      return checkDicom(walk, p, place.real);
    case 'file':
      return walk.limiter.run(() => checkFile(walk, p, place));
  }
}

function usable(walk: Walk, p: Property, abs: string, info: EntryInfo): boolean {
  switch (info.kind) {
    case 'missing':
      if (!p.nullable)
        report(walk, 'BERTH_E_TREE_MISSING', `Required ${p.kind} ${p.name} is missing`, abs, p);
      return false;
    case 'symlink-outside':
      report(
        walk,
        'BERTH_E_TREE_SYMLINK',
        `${path.basename(abs)} is a symbolic link ${info.reason ?? `to ${info.real}, outside the tree`}`,
        abs,
        p,
        'a file or directory inside the tree',
      );
      return false;
    case 'special':
      report(
        walk,
        'BERTH_E_TREE_SPECIAL',
        `${path.basename(abs)} is a FIFO, socket or device`,
        abs,
        p,
        'a regular file or directory',
      );
      return false;
    case 'unreadable':
      report(
        walk,
        'BERTH_E_TREE_UNREADABLE',
        `${path.basename(abs)} cannot be read (${info.reason})`,
        abs,
        p,
      );
      return false;
    default:
      return true;
  }
}

async function checkFile(walk: Walk, p: Property, at: Place): Promise<void> {
  const kind = kindOf(p.kind);
  const problems: ValueProblem[] = [];
  try {
    const textForm = textFormOf(kind);
    const leaf = leafOf(kind);
    if (textForm) {
      const outcome = textForm.parse(await readTextFile(at.real), p);
      if (!outcome.ok) problems.push(outcome.problem);
    } else if (leaf) {
      const { size } = await stat(at.real);
      // A leaf check reports a read failure as BERTH_E_IO: for the tree, the entry is unreadable.
      for (const problem of await leaf.check(at.real, size, p)) {
        problems.push(
          problem.code === 'BERTH_E_IO'
            ? {
                code: 'BERTH_E_TREE_UNREADABLE',
                message: `${path.basename(at.shown)} cannot be read: ${problem.message}`,
              }
            : problem,
        );
      }
    } else {
      await checkDicom(walk, p, at.real);
    }
  } catch (e) {
    problems.push(problemOf(e, at.shown));
  }
  for (const problem of problems) report(walk, problem.code, problem.message, at.shown, p, problem.expected);
}

/** A DICOM entry (an image file, a series or study folder): its kind's storage checks it. */
async function checkDicom(walk: Walk, p: Property, real: string): Promise<void> {
  const storage = kindOf(p.kind).storage;
  if (storage.form === 'dicom') walk.findings.push(...(await storage.check(p, real, walk.side, walk.dicom)));
}

/** A failed read as a problem of the entry (see {@link treeReadError}). */
function problemOf(e: unknown, abs: string): ValueProblem {
  const err = treeReadError(e, { path: abs });
  if (err.code === 'BERTH_E_TREE_UNREADABLE') {
    return {
      code: err.code,
      message: `${path.basename(abs)} cannot be read (${errnoOf(err) ?? 'I/O error'})`,
    };
  }
  return {
    code: err.code,
    message: err.message,
    ...(err.expected === undefined ? {} : { expected: err.expected }),
  };
}

/** Checks an array directory: entries exactly 0..n-1, item count within bounds, every item. */
async function checkArray(walk: Walk, p: Property, dir: Place): Promise<void> {
  const entries = await list(walk, dir, p);
  if (!entries || !p.items) return;
  const indices: number[] = [];
  const items: Dirent[] = [];
  for (const d of entries) {
    const abs = path.join(dir.shown, d.name);
    if (!ARRAY_INDEX.test(d.name) || !Number.isSafeInteger(Number(d.name))) {
      if (isAtomicTempName(d.name)) reportStray(walk, abs, p, '');
      else report(walk, 'BERTH_E_TREE_ARRAY_INDEX', notAnIndex(d.name), abs, p, 'entries named 0, 1, 2 …');
      continue;
    }
    indices.push(Number(d.name));
    items.push(d);
  }
  indices.sort((a, b) => a - b);
  const count = indices.length;
  const last = count ? indices[count - 1]! : -1;
  if (last + 1 !== count) {
    const present = new Set(indices);
    const missing: number[] = [];
    for (let i = 0; i <= last && missing.length < 10; i++) if (!present.has(i)) missing.push(i);
    report(
      walk,
      'BERTH_E_TREE_ARRAY_GAP',
      `The array has ${count} entries but its highest index is ${last}; missing ${missing.join(', ')}${missing.length === 10 ? ', …' : ''}`,
      dir.shown,
      p,
      `entries 0 to ${count - 1} without gaps`,
    );
  }
  const problem = itemCountProblem(count, p.keywords, 'The array');
  if (problem) report(walk, problem.code, problem.message, dir.shown, p, problem.expected);
  const item = p.items;
  const same = dir.shown === dir.real;
  await mapLimited(items, walk.fanout, (d) => {
    const shown = path.join(dir.shown, d.name);
    return checkEntry(walk, item, { shown, real: same ? shown : path.join(dir.real, d.name) }, d);
  });
}

/** Why an array entry's name is not an index. */
function notAnIndex(name: string): string {
  if (/^[0-9]+$/.test(name)) {
    return name.length > 1 && name.startsWith('0')
      ? `${name} has a leading zero`
      : `${name} is beyond the largest index berth reads (2^53 − 1)`;
  }
  return `${name} is not an array index`;
}
