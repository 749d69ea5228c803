import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, realpath, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadMachine, type MachineDefinition } from '../../src/check/manifest.js';
import { checkTree } from '../../src/check/tree.js';
import type { Finding } from '../../src/errors.js';
import { ndarray } from '../../src/ndarray/ndarray.js';
import { encodeNpy } from '../../src/ndarray/npy.js';
import { Limiter, mapLimited } from '../../src/tree/entry.js';
import { CLI } from '../support/cli.js';
import { JPEG_BYTES, MASK, PDF_BYTES, PNG_BYTES, writeGoodTree, writeManifest } from '../support/sdk-tree.js';
import { removeDir, tempDir } from '../support/temp.js';
import { codeOfAsync } from '../support/codes.js';
import { loadedModules } from '../support/module-graph.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/** What a broken tree must produce: `[code, path relative to the root]`, in any order. */
type Expected = [string, string][];

interface BrokenTree {
  name: string;
  /** Breaks the good tree at `root`; `outside` is a directory next to the tree, outside it. */
  mutate(root: string, outside: string): Promise<void>;
  expect: Expected;
}

function put(root: string, rel: string, data: string | Uint8Array): Promise<void> {
  const abs = path.join(root, rel);
  return mkdir(path.dirname(abs), { recursive: true }).then(() => writeFile(abs, data));
}

function del(root: string, rel: string): Promise<void> {
  return rm(path.join(root, rel), { recursive: true, force: true });
}

async function fifo(abs: string): Promise<void> {
  await run('mkfifo', [abs]);
}

/** An .npy whose header promises `shape` of uint8 but whose data is cut short. */
function truncatedNpy(): Uint8Array {
  const whole = encodeNpy(ndarray('uint8', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
  return whole.subarray(0, whole.byteLength - 3);
}

const CASES: BrokenTree[] = [
  // --- presence ---------------------------------------------------------------------------
  {
    name: 'a required primitive is missing',
    mutate: (r) => del(r, 'count'),
    expect: [['BERTH_E_TREE_MISSING', 'count']],
  },
  {
    name: 'a required file is missing',
    mutate: (r) => del(r, 'report.pdf'),
    expect: [['BERTH_E_TREE_MISSING', 'report.pdf']],
  },
  {
    name: 'a required object is missing',
    mutate: (r) => del(r, 'patient'),
    expect: [['BERTH_E_TREE_MISSING', 'patient']],
  },
  {
    name: 'a nested required member is missing',
    mutate: (r) => del(r, 'patient/extra/height'),
    expect: [['BERTH_E_TREE_MISSING', 'patient/extra/height']],
  },
  {
    name: 'a member of an object inside an array is missing',
    mutate: (r) => del(r, 'lesions/1/area'),
    expect: [['BERTH_E_TREE_MISSING', 'lesions/1/area']],
  },
  {
    name: 'a nullable property present and valid is fine',
    mutate: (r) => put(r, 'note', 'hello'),
    expect: [],
  },
  // --- undeclared entries -------------------------------------------------------------------
  {
    name: 'an extra file at the root',
    mutate: (r) => put(r, 'stray.txt', 'x'),
    expect: [['BERTH_E_TREE_UNDECLARED', 'stray.txt']],
  },
  {
    name: 'an extra directory at the root',
    mutate: (r) => mkdir(path.join(r, 'stray')),
    expect: [['BERTH_E_TREE_UNDECLARED', 'stray']],
  },
  {
    name: 'an extra member inside an object',
    mutate: (r) => put(r, 'patient/weight', '70'),
    expect: [['BERTH_E_TREE_UNDECLARED', 'patient/weight']],
  },
  {
    name: 'a property name differing only by case is not the property',
    mutate: async (r) => {
      await del(r, 'count');
      await put(r, 'Count', '42');
    },
    expect: [
      ['BERTH_E_TREE_MISSING', 'count'],
      ['BERTH_E_TREE_UNDECLARED', 'Count'],
    ],
  },
  // --- text forms ---------------------------------------------------------------------------
  {
    name: 'integer 12abc',
    mutate: (r) => put(r, 'count', '12abc'),
    expect: [['BERTH_E_VALUE_TEXT', 'count']],
  },
  { name: 'integer 1.0', mutate: (r) => put(r, 'count', '1.0'), expect: [['BERTH_E_VALUE_TEXT', 'count']] },
  {
    name: 'integer empty file',
    mutate: (r) => put(r, 'count', ''),
    expect: [['BERTH_E_VALUE_TEXT', 'count']],
  },
  {
    name: 'integer beyond 2^53',
    mutate: (r) => put(r, 'patient/age', '9007199254740993'),
    expect: [['BERTH_E_INTEGER_UNSAFE', 'patient/age']],
  },
  { name: 'boolean yes', mutate: (r) => put(r, 'flag', 'yes'), expect: [['BERTH_E_VALUE_TEXT', 'flag']] },
  {
    name: 'boolean true (lower case)',
    mutate: (r) => put(r, 'survival/event', 'true'),
    expect: [['BERTH_E_VALUE_TEXT', 'survival/event']],
  },
  {
    name: 'percentage 85 without %',
    mutate: (r) => put(r, 'score', '85'),
    expect: [['BERTH_E_VALUE_TEXT', 'score']],
  },
  { name: 'number 1,5', mutate: (r) => put(r, 'ratio', '1,5'), expect: [['BERTH_E_VALUE_TEXT', 'ratio']] },
  {
    name: 'number NaN',
    mutate: (r) => put(r, 'grid/1/0', 'NaN'),
    expect: [['BERTH_E_VALUE_TEXT', 'grid/1/0']],
  },
  {
    name: 'date-time month 13',
    mutate: (r) => put(r, 'when', '2017-13-27T03:40:40Z'),
    expect: [['BERTH_E_VALUE_TEXT', 'when']],
  },
  {
    name: 'date-time in words',
    mutate: (r) => put(r, 'when', 'yesterday'),
    expect: [['BERTH_E_VALUE_TEXT', 'when']],
  },
  {
    name: 'enum value not listed',
    mutate: (r) => put(r, 'label', 'bird'),
    expect: [['BERTH_E_VALUE_ENUM', 'label']],
  },
  {
    name: 'enum value in the wrong case',
    mutate: (r) => put(r, 'patient/sex', 'f'),
    expect: [['BERTH_E_VALUE_ENUM', 'patient/sex']],
  },
  {
    name: 'invalid UTF-8 in a string',
    mutate: (r) => put(r, 'name', Buffer.from([0x41, 0xc3, 0x28])),
    expect: [['BERTH_E_NOT_UTF8', 'name']],
  },
  {
    name: 'integer above maximum',
    mutate: (r) => put(r, 'count', '1001'),
    expect: [['BERTH_E_VALUE_CONSTRAINT', 'count']],
  },
  {
    name: 'integer below minimum',
    mutate: (r) => put(r, 'count', '-1'),
    expect: [['BERTH_E_VALUE_CONSTRAINT', 'count']],
  },
  {
    name: 'percentage above maximum',
    mutate: (r) => put(r, 'score', '100.5%'),
    expect: [['BERTH_E_VALUE_CONSTRAINT', 'score']],
  },
  {
    name: 'string above maxLength',
    mutate: (r) => put(r, 'name', 'x'.repeat(21)),
    expect: [['BERTH_E_VALUE_CONSTRAINT', 'name']],
  },
  {
    name: 'a text value file over 16 MiB (sparse)',
    mutate: async (r) => {
      await put(r, 'name', '');
      await truncate(path.join(r, 'name'), 16 * 1024 * 1024 + 1);
    },
    expect: [['BERTH_E_VALUE_TOO_LARGE', 'name']],
  },
  // --- shape --------------------------------------------------------------------------------
  {
    name: 'a file where an object directory is expected',
    mutate: async (r) => {
      await del(r, 'patient');
      await put(r, 'patient', '61');
    },
    expect: [['BERTH_E_TREE_NOT_DIRECTORY', 'patient']],
  },
  {
    name: 'a file where an array directory is expected',
    mutate: async (r) => {
      await del(r, 'scores');
      await put(r, 'scores', '1,2,3');
    },
    expect: [['BERTH_E_TREE_NOT_DIRECTORY', 'scores']],
  },
  {
    name: 'a directory where a primitive file is expected',
    mutate: async (r) => {
      await del(r, 'count');
      await mkdir(path.join(r, 'count'));
    },
    expect: [['BERTH_E_TREE_NOT_FILE', 'count']],
  },
  {
    name: 'a directory where a media file is expected',
    mutate: async (r) => {
      await del(r, 'image.png');
      await put(r, 'image.png/0', PNG_BYTES);
    },
    expect: [['BERTH_E_TREE_NOT_FILE', 'image.png']],
  },
  {
    name: 'a file where an object item of an array is expected',
    mutate: async (r) => {
      await del(r, 'lesions/1');
      await put(r, 'lesions/1', '4');
    },
    expect: [['BERTH_E_TREE_NOT_DIRECTORY', 'lesions/1']],
  },
  // --- arrays -------------------------------------------------------------------------------
  {
    name: 'an array with a gap',
    mutate: (r) => del(r, 'scores/1'),
    expect: [['BERTH_E_TREE_ARRAY_GAP', 'scores']],
  },
  {
    name: 'an array not starting at 0',
    mutate: (r) => del(r, 'lesions/0'),
    expect: [['BERTH_E_TREE_ARRAY_GAP', 'lesions']],
  },
  {
    name: 'an inner array of an array of arrays with a gap',
    mutate: (r) => put(r, 'grid/1/2', '5'),
    expect: [['BERTH_E_TREE_ARRAY_GAP', 'grid/1']],
  },
  {
    name: 'an array entry 01',
    mutate: (r) => put(r, 'scores/01', '7'),
    expect: [['BERTH_E_TREE_ARRAY_INDEX', 'scores/01']],
  },
  {
    name: 'an array entry x',
    mutate: (r) => put(r, 'scores/x', '7'),
    expect: [['BERTH_E_TREE_ARRAY_INDEX', 'scores/x']],
  },
  {
    name: 'an array entry -1',
    mutate: (r) => put(r, 'grid/0/-1', '7'),
    expect: [['BERTH_E_TREE_ARRAY_INDEX', 'grid/0/-1']],
  },
  {
    name: 'an array entry 3.txt',
    mutate: (r) => put(r, 'scores/3.txt', '7'),
    expect: [['BERTH_E_TREE_ARRAY_INDEX', 'scores/3.txt']],
  },
  {
    name: 'an array entry beyond 2^53',
    mutate: (r) => put(r, 'scores/99999999999999999999', '7'),
    expect: [['BERTH_E_TREE_ARRAY_INDEX', 'scores/99999999999999999999']],
  },
  {
    name: 'fewer items than minItems',
    mutate: async (r) => {
      await del(r, 'scores');
      await mkdir(path.join(r, 'scores'));
    },
    expect: [['BERTH_E_VALUE_CONSTRAINT', 'scores']],
  },
  {
    name: 'more items than maxItems',
    mutate: async (r) => {
      for (const i of [3, 4, 5]) await put(r, `scores/${i}`, String(i));
    },
    expect: [['BERTH_E_VALUE_CONSTRAINT', 'scores']],
  },
  {
    name: 'a bad item inside an array',
    mutate: (r) => put(r, 'scores/2', 'three'),
    expect: [['BERTH_E_VALUE_TEXT', 'scores/2']],
  },
  // --- symlinks -----------------------------------------------------------------------------
  {
    name: 'a symlink to a file outside the root',
    mutate: async (r, outside) => {
      await put(outside, 'secret', '42');
      await del(r, 'count');
      await symlink(path.join(outside, 'secret'), path.join(r, 'count'));
    },
    expect: [['BERTH_E_TREE_SYMLINK', 'count']],
  },
  {
    name: 'a relative symlink climbing out of the root',
    mutate: async (r, outside) => {
      await put(outside, 'secret', '42');
      await del(r, 'count');
      await symlink(path.join('..', path.basename(outside), 'secret'), path.join(r, 'count'));
    },
    expect: [['BERTH_E_TREE_SYMLINK', 'count']],
  },
  {
    name: 'a symlinked directory outside the root',
    mutate: async (r, outside) => {
      await put(outside, 'patient/age', '1');
      await del(r, 'patient');
      await symlink(path.join(outside, 'patient'), path.join(r, 'patient'));
    },
    expect: [['BERTH_E_TREE_SYMLINK', 'patient']],
  },
  {
    // Decision: symlinks whose target stays inside the root are followed and allowed.
    name: 'symlinks inside the root (file and directory) are followed and allowed',
    mutate: async (r) => {
      await del(r, 'patient/age');
      await symlink('../count', path.join(r, 'patient/age'));
      await del(r, 'lesions/1');
      await symlink('0', path.join(r, 'lesions/1'));
    },
    expect: [],
  },
  {
    name: 'a symlink inside the root to a value that is wrong for its property',
    mutate: async (r) => {
      await del(r, 'count');
      await symlink('name', path.join(r, 'count'));
    },
    expect: [['BERTH_E_VALUE_TEXT', 'count']],
  },
  {
    name: 'problems behind a symlinked directory are reported under the link, too',
    mutate: async (r) => {
      await put(r, 'lesions/0/slice', 'four');
      await del(r, 'lesions/1');
      await symlink('0', path.join(r, 'lesions/1'));
    },
    expect: [
      ['BERTH_E_VALUE_TEXT', 'lesions/0/slice'],
      ['BERTH_E_VALUE_TEXT', 'lesions/1/slice'],
    ],
  },
  {
    name: 'a dangling symlink',
    mutate: async (r) => {
      await del(r, 'count');
      await symlink('nowhere', path.join(r, 'count'));
    },
    expect: [['BERTH_E_TREE_SYMLINK', 'count']],
  },
  {
    name: 'a symlink loop',
    mutate: async (r) => {
      await del(r, 'count');
      await symlink('count', path.join(r, 'count'));
    },
    expect: [['BERTH_E_TREE_SYMLINK', 'count']],
  },
  // --- special files ------------------------------------------------------------------------
  {
    name: 'a FIFO where a value file is expected (never opened, so no hang)',
    mutate: async (r) => {
      await del(r, 'count');
      await fifo(path.join(r, 'count'));
    },
    expect: [['BERTH_E_TREE_SPECIAL', 'count']],
  },
  {
    name: 'a FIFO reached through a symlink inside the root',
    mutate: async (r) => {
      await fifo(path.join(r, 'pipe'));
      await del(r, 'image.png');
      await symlink('pipe', path.join(r, 'image.png'));
    },
    expect: [
      ['BERTH_E_TREE_SPECIAL', 'image.png'],
      ['BERTH_E_TREE_UNDECLARED', 'pipe'],
    ],
  },
  // --- media types --------------------------------------------------------------------------
  {
    name: 'a PNG declared application/pdf',
    mutate: (r) => put(r, 'report.pdf', PNG_BYTES),
    expect: [['BERTH_E_MIME_MISMATCH', 'report.pdf']],
  },
  {
    name: 'text declared image/jpeg',
    mutate: (r) => put(r, 'photo.jpg', 'not a jpeg'),
    expect: [['BERTH_E_MIME_MISMATCH', 'photo.jpg']],
  },
  {
    name: 'a PDF declared image/png',
    mutate: (r) => put(r, 'image.png', PDF_BYTES),
    expect: [['BERTH_E_MIME_MISMATCH', 'image.png']],
  },
  {
    name: 'an empty file declared image/png',
    mutate: (r) => put(r, 'image.png', ''),
    expect: [['BERTH_E_MIME_MISMATCH', 'image.png']],
  },
  {
    name: 'NUL bytes declared text/plain',
    mutate: (r) => put(r, 'notes.txt', Buffer.from([0x61, 0, 0x62])),
    expect: [['BERTH_E_MIME_MISMATCH', 'notes.txt']],
  },
  { name: 'application/octet-stream accepts a JPEG', mutate: (r) => put(r, 'blob', JPEG_BYTES), expect: [] },
  { name: 'application/octet-stream accepts an empty file', mutate: (r) => put(r, 'blob', ''), expect: [] },
  // --- .npy ---------------------------------------------------------------------------------
  {
    name: '.npy with a bad magic',
    mutate: (r) =>
      put(r, 'mask.npy', Buffer.concat([Buffer.from('NOTNPY'), Buffer.from(encodeNpy(MASK)).subarray(6)])),
    expect: [['BERTH_E_NPY_FORMAT', 'mask.npy']],
  },
  {
    name: '.npy of another dtype',
    mutate: (r) => put(r, 'mask.npy', encodeNpy(ndarray('float32', [3, 2]))),
    expect: [['BERTH_E_NDARRAY_MISMATCH', 'mask.npy']],
  },
  {
    name: '.npy of another shape',
    mutate: (r) => put(r, 'mask.npy', encodeNpy(ndarray('uint8', [3, 3]))),
    expect: [['BERTH_E_NDARRAY_MISMATCH', 'mask.npy']],
  },
  {
    name: '.npy with truncated data',
    mutate: (r) => put(r, 'mask.npy', truncatedNpy()),
    expect: [['BERTH_E_NPY_SHAPE', 'mask.npy']],
  },
  {
    name: '.npy that is empty',
    mutate: (r) => put(r, 'mask.npy', ''),
    expect: [['BERTH_E_NPY_FORMAT', 'mask.npy']],
  },
  // --- interrupted writes -------------------------------------------------------------------
  {
    name: 'a .berth-tmp-* leftover at the root',
    mutate: (r) => put(r, '.berth-tmp-report.pdf.123.abcdef', PDF_BYTES.subarray(0, 5)),
    expect: [['BERTH_E_TREE_PARTIAL_WRITE', '.berth-tmp-report.pdf.123.abcdef']],
  },
  {
    name: 'a .berth-tmp-* leftover inside an array and an object',
    mutate: async (r) => {
      await put(r, 'scores/.berth-tmp-3.1.aa', '4');
      await put(r, 'patient/.berth-tmp-age.1.bb', '6');
    },
    expect: [
      ['BERTH_E_TREE_PARTIAL_WRITE', 'patient/.berth-tmp-age.1.bb'],
      ['BERTH_E_TREE_PARTIAL_WRITE', 'scores/.berth-tmp-3.1.aa'],
    ],
  },
  // --- several at once ----------------------------------------------------------------------
  {
    name: 'many problems at once are all reported in one run',
    mutate: async (r, outside) => {
      await del(r, 'count');
      await put(r, 'flag', 'yes');
      await put(r, 'score', '85');
      await put(r, 'label', 'bird');
      await put(r, 'stray', '');
      await del(r, 'scores/1');
      await put(r, 'lesions/0/slice', '4.5');
      await put(r, 'grid/0/x', '1');
      await put(r, 'report.pdf', PNG_BYTES);
      await put(r, 'mask.npy', encodeNpy(ndarray('uint8', [3, 3])));
      await put(r, '.berth-tmp-x.1.cc', '');
      await put(outside, 'age', '3');
      await del(r, 'patient/age');
      await symlink(path.join(outside, 'age'), path.join(r, 'patient/age'));
      await del(r, 'survival/time');
      await fifo(path.join(r, 'survival/time'));
    },
    expect: [
      ['BERTH_E_TREE_MISSING', 'count'],
      ['BERTH_E_VALUE_TEXT', 'flag'],
      ['BERTH_E_VALUE_TEXT', 'score'],
      ['BERTH_E_VALUE_ENUM', 'label'],
      ['BERTH_E_TREE_UNDECLARED', 'stray'],
      ['BERTH_E_TREE_ARRAY_GAP', 'scores'],
      ['BERTH_E_VALUE_TEXT', 'lesions/0/slice'],
      ['BERTH_E_TREE_ARRAY_INDEX', 'grid/0/x'],
      ['BERTH_E_MIME_MISMATCH', 'report.pdf'],
      ['BERTH_E_NDARRAY_MISMATCH', 'mask.npy'],
      ['BERTH_E_TREE_PARTIAL_WRITE', '.berth-tmp-x.1.cc'],
      ['BERTH_E_TREE_SYMLINK', 'patient/age'],
      ['BERTH_E_TREE_SPECIAL', 'survival/time'],
    ],
  },
];

/** Findings as sorted `[code, relative path]` pairs. */
function summarise(findings: Finding[], root: string): [string, string][] {
  return findings
    .map((f): [string, string] => [f.code, path.relative(root, f.path ?? '')])
    .sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
}

function sorted(e: Expected): Expected {
  return [...e].sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
}

/** Fails instead of hanging when a check blocks (e.g. on a FIFO). */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

describe('check/tree: broken trees', function () {
  let base: string;
  let definition: MachineDefinition;

  before(async () => {
    base = await realpath(await tempDir('tree'));
    definition = await loadMachine(await writeManifest(base));
  });
  after(async () => {
    // Unreadable entries left by a failed test must not block the clean-up.
    await run('chmod', ['-R', 'u+rwx', base]).catch(() => undefined);
    await removeDir(base);
  });

  it('the good tree has no findings, in and out', async () => {
    const root = path.join(base, 'good');
    await writeGoodTree(root);
    expect(await checkTree(definition, 'in', root)).to.deep.equal([]);
    expect(await checkTree(definition, 'out', root)).to.deep.equal([]);
  });

  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const root = path.join(base, `case-${i}`, 'tree');
      const outside = path.join(base, `case-${i}`, 'outside');
      await mkdir(outside, { recursive: true });
      await writeGoodTree(root);
      await c.mutate(root, outside);
      const findings = await within(5000, checkTree(definition, 'in', root));
      expect(summarise(findings, root)).to.deep.equal(sorted(c.expect));
      for (const f of findings) {
        expect(f.severity).to.equal('error');
        expect(f.message).to.be.a('string').and.not.equal('');
        // Every finding names its property, except an undeclared entry directly under the root.
        const atRoot = !path.relative(root, f.path ?? '').includes('/');
        const stray = f.code === 'BERTH_E_TREE_UNDECLARED' || f.code === 'BERTH_E_TREE_PARTIAL_WRITE';
        if (!(atRoot && stray)) expect(f.property, `${f.code} names its property`).to.be.a('string');
      }
    });
  });

  it(`covers at least 30 broken trees (${CASES.filter((c) => c.expect.length > 0).length})`, () => {
    expect(CASES.filter((c) => c.expect.length > 0).length).to.be.at.least(30);
  });

  it('an undeclared output is an error whose message states what the platform requires', async () => {
    const root = path.join(base, 'stray-out');
    await writeGoodTree(root);
    await put(root, 'extra.txt', 'x');
    const [f] = await checkTree(definition, 'out', root);
    expect(f?.code).to.equal('BERTH_E_TREE_UNDECLARED');
    expect(f?.severity).to.equal('error');
    expect(f?.message).to.equal(
      'extra.txt is not declared in schema-out: the EnvoyAI platform takes only the outputs the manifest declares, so every other file is an error (declare it, or do not write it)',
    );
  });

  it('reports the property path of a finding deep inside arrays and objects', async () => {
    const root = path.join(base, 'paths');
    await writeGoodTree(root);
    await put(root, 'lesions/1/slice', 'nine');
    const [f] = await checkTree(definition, 'in', root);
    expect(f?.property).to.equal('schema-in/lesions/[]/slice');
    expect(f?.path).to.equal(path.join(root, 'lesions/1/slice'));
  });

  it('refuses a tree root that does not exist or is a file', async () => {
    expect(await codeOfAsync(checkTree(definition, 'in', path.join(base, 'no-such-tree')))).to.equal(
      'BERTH_E_NOT_FOUND',
    );
    await writeFile(path.join(base, 'a-file'), 'x');
    expect(await codeOfAsync(checkTree(definition, 'in', path.join(base, 'a-file')))).to.equal(
      'BERTH_E_TREE_NOT_DIRECTORY',
    );
  });

  it('follows a tree root that is itself a symlink', async () => {
    const root = path.join(base, 'linked-real');
    await writeGoodTree(root);
    await symlink(root, path.join(base, 'linked'));
    expect(await checkTree(definition, 'in', path.join(base, 'linked'))).to.deep.equal([]);
  });

  describe('unreadable entries', () => {
    it('an unreadable file, directory and media file are findings, not crashes (chmod 000)', async function () {
      const root = path.join(base, 'unreadable');
      await writeGoodTree(root);
      for (const rel of ['count', 'patient', 'image.png', 'mask.npy'])
        await chmod(path.join(root, rel), 0o000);
      const want: Expected = [
        ['BERTH_E_TREE_UNREADABLE', 'count'],
        ['BERTH_E_TREE_UNREADABLE', 'image.png'],
        ['BERTH_E_TREE_UNREADABLE', 'mask.npy'],
        ['BERTH_E_TREE_UNREADABLE', 'patient'],
      ];
      try {
        if (isRoot) {
          // root ignores file modes, so chmod 000 blocks nothing in this process. Validate through
          // the CLI in a child process running as `nobody`, for whom the modes hold.
          await chmod(base, 0o755);
          await chmod(path.join(base, 'machine.json'), 0o644);
          const out = await new Promise<string>((resolve, reject) => {
            const child = spawn(
              process.execPath,
              [CLI, 'validate', path.join(base, 'machine.json'), '--inputs', root, '--json'],
              { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] },
            );
            let stdout = '';
            child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
            const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
            child.on('error', reject);
            child.on('close', (code) => {
              clearTimeout(timer);
              if (code === 1) resolve(stdout);
              else reject(new Error(`berth validate as nobody exited ${code}: ${stdout}`));
            });
          });
          const report = JSON.parse(out) as { findings: Finding[] };
          expect(summarise(report.findings, root)).to.deep.equal(sorted(want));
        } else {
          expect(summarise(await checkTree(definition, 'in', root), root)).to.deep.equal(sorted(want));
        }
      } finally {
        for (const rel of ['count', 'patient', 'image.png', 'mask.npy'])
          await chmod(path.join(root, rel), 0o755);
      }
    });
  });

  it('checks several trees at once, with a concurrency of 1 and 2, with the same findings', async () => {
    const roots = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const root = path.join(base, `many-${i}`);
        await writeGoodTree(root);
        await put(root, 'count', `${i}x`);
        return root;
      }),
    );
    // A concurrency of 0 or NaN still makes progress (at least one read at a time).
    expect(await checkTree(definition, 'in', roots[0]!, { concurrency: 0 })).to.have.length(1);
    expect(await checkTree(definition, 'in', roots[0]!, { concurrency: NaN })).to.have.length(1);
    const all = await Promise.all(
      roots.map((r, i) => checkTree(definition, 'in', r, { concurrency: 1 + (i % 2) })),
    );
    all.forEach((findings, i) =>
      expect(summarise(findings, roots[i]!)).to.deep.equal([['BERTH_E_VALUE_TEXT', 'count']]),
    );
  });
});

describe('tree/entry: Limiter and mapLimited', () => {
  it('Limiter runs at most max tasks at once, in order, and passes results and errors through', async () => {
    const limiter = new Limiter(3);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          active++;
          peak = Math.max(peak, active);
          order.push(i);
          await new Promise((r) => setTimeout(r, 1));
          active--;
          if (i === 7) throw new Error('seven');
          return i * 2;
        }),
      ),
    );
    expect(peak).to.equal(3);
    expect(order).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    expect(results[7]?.status).to.equal('rejected');
    expect((results[8] as PromiseFulfilledResult<number>).value).to.equal(16);
    expect(await limiter.run(() => Promise.resolve('after'))).to.equal('after');
  });

  it('mapLimited keeps input order with at most limit calls in flight', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimited(
      Array.from({ length: 50 }, (_, i) => i),
      4,
      async (x) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, x % 3));
        active--;
        return x * x;
      },
    );
    expect(peak).to.equal(4);
    expect(out).to.deep.equal(Array.from({ length: 50 }, (_, i) => i * i));
    expect(await mapLimited([], 4, () => Promise.resolve(1))).to.deep.equal([]);
  });
});

describe('check/tree: start-up', () => {
  it("loads no DICOM reading code until a DICOM entry is checked: the DICOM kinds' storage imports it then", () => {
    const loaded = loadedModules(['src/check/tree.ts', 'src/kinds/registry.ts']);
    expect(loaded).to.include('src/kinds/dicom-constraints.ts');
    const reading = ['folder-check', 'index', 'scan', 'output-uids', 'instance-rules'].map(
      (m) => `src/dicom/${m}.ts`,
    );
    expect(loaded.filter((f) => reading.includes(f))).to.deep.equal([]);
  });
});
