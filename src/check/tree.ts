import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, finding, isBerthError, type Code, type Finding } from '../errors.js';
import { kindOf } from '../kinds/registry.js';
import type { Property, Side } from '../kinds/property.js';
import type { ValueProblem } from '../kinds/value.js';
import { isAtomicTempName } from '../tree/atomic.js';
import { ARRAY_INDEX, Limiter, classifyEntry, type EntryInfo } from '../tree/entry.js';
import { readTextFile } from '../tree/read-text.js';
import type { MachineDefinition } from './manifest.js';

/** Options of {@link checkTree}. */
export interface TreeCheckOptions {
  /** Files read at once (default 64). */
  concurrency?: number;
  /** Checks of DICOM properties, supplied by the DICOM layer; without it only the layout is checked. */
  dicom?: DicomTreeCheck;
}

/** What the DICOM layer checks in a tree (see src/dicom): an image file, a series or a study folder. */
export type DicomTreeCheck = (
  p: Property,
  abs: string,
  side: Side,
  report: (f: Finding) => void,
) => Promise<void>;

interface Walk {
  realRoot: string;
  side: Side;
  limiter: Limiter;
  findings: Finding[];
  dicom: DicomTreeCheck | undefined;
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
  const walk: Walk = {
    realRoot,
    side,
    limiter: new Limiter(options.concurrency ?? 64),
    findings: [],
    dicom: options.dicom,
  };
  const props = side === 'in' ? definition.inputs : definition.outputs;
  await checkMembers(walk, realRoot, props);
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

async function list(walk: Walk, dir: string, p: Property | undefined): Promise<Dirent[] | undefined> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    report(
      walk,
      'BERTH_E_TREE_UNREADABLE',
      `The directory cannot be listed (${(e as { code?: string }).code})`,
      dir,
      p,
    );
    return undefined;
  }
}

/** Checks a directory holding the members of an object (or the root): declared, missing, extra. */
async function checkMembers(
  walk: Walk,
  dir: string,
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
    const abs = path.join(dir, p.name);
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
    jobs.push(checkEntry(walk, p, abs, dirent));
  }
  for (const [name] of byName) reportStray(walk, path.join(dir, name), owner, 'a declared property');
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
    report(walk, 'BERTH_E_TREE_UNDECLARED', `${name} is not declared in the schema`, abs, owner, expected);
  }
}

function describeShape(p: Property): string {
  const shape = kindOf(p.kind).shape;
  return shape === 'file'
    ? `a file holding ${kindOf(p.kind).label(p)}`
    : `a directory (${kindOf(p.kind).label(p)})`;
}

/** Checks one entry of any kind. */
async function checkEntry(walk: Walk, p: Property, abs: string, dirent?: Dirent): Promise<void> {
  const info = await classifyEntry(abs, walk.realRoot, dirent);
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
  const real = info.real ?? abs;
  switch (kind.shape) {
    case 'object':
      return checkMembers(walk, real, p.properties ?? [], p);
    case 'array':
      return checkArray(walk, p, real);
    case 'dicom-series':
    case 'dicom-study':
      if (walk.dicom) await walk.dicom(p, real, walk.side, (f) => walk.findings.push(f));
      return;
    case 'file':
      return walk.limiter.run(() => checkFile(walk, p, real));
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

async function checkFile(walk: Walk, p: Property, abs: string): Promise<void> {
  const kind = kindOf(p.kind);
  const problems: ValueProblem[] = [];
  try {
    if (kind.text) {
      const outcome = kind.text.parse(await readTextFile(abs), p);
      if (!outcome.ok) problems.push(outcome.problem);
    } else if (kind.leaf) {
      const { size } = await stat(abs);
      problems.push(...(await kind.leaf.check(abs, size, p)));
    } else if (walk.dicom) {
      await walk.dicom(p, abs, walk.side, (f) => walk.findings.push(f));
    }
  } catch (e) {
    if (!isBerthError(e)) throw e;
    problems.push({
      code: e.code,
      message: e.message,
      ...(e.expected === undefined ? {} : { expected: e.expected }),
    });
  }
  for (const problem of problems) report(walk, problem.code, problem.message, abs, p, problem.expected);
}

/** Checks an array directory: entries exactly 0..n-1, item count within bounds, every item. */
async function checkArray(walk: Walk, p: Property, dir: string): Promise<void> {
  const entries = await list(walk, dir, p);
  if (!entries || !p.items) return;
  const indices: number[] = [];
  const jobs: Promise<void>[] = [];
  for (const d of entries) {
    const abs = path.join(dir, d.name);
    if (!ARRAY_INDEX.test(d.name) || !Number.isSafeInteger(Number(d.name))) {
      if (isAtomicTempName(d.name)) reportStray(walk, abs, p, '');
      else if (/^[0-9]+$/.test(d.name)) {
        report(
          walk,
          'BERTH_E_TREE_ARRAY_INDEX',
          `${d.name} has a leading zero`,
          abs,
          p,
          'entries named 0, 1, 2 …',
        );
      } else {
        report(
          walk,
          'BERTH_E_TREE_UNDECLARED',
          `${d.name} is not an array index`,
          abs,
          p,
          'entries named 0, 1, 2 …',
        );
      }
      continue;
    }
    indices.push(Number(d.name));
    jobs.push(checkEntry(walk, p.items, abs, d));
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
      dir,
      p,
      `entries 0 to ${count - 1} without gaps`,
    );
  }
  const { minItems, maxItems } = p.keywords;
  if (minItems !== undefined && count < minItems) {
    report(walk, 'BERTH_E_VALUE_CONSTRAINT', `The array has ${count} items`, dir, p, `at least ${minItems}`);
  }
  if (maxItems !== undefined && count > maxItems) {
    report(walk, 'BERTH_E_VALUE_CONSTRAINT', `The array has ${count} items`, dir, p, `at most ${maxItems}`);
  }
  await Promise.all(jobs);
}
