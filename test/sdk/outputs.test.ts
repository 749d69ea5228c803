import { expect } from 'chai';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { checkTree } from '../../src/check/tree.js';
import { loadMachine } from '../../src/check/manifest.js';
import { isAtomicTempName } from '../../src/tree/atomic.js';
import { ndarray, type NdArray } from '../../src/ndarray/ndarray.js';
import { encodeNpy } from '../../src/ndarray/npy.js';
import { exitCodeOf } from '../../src/harness/outcome.js';
import { INVALID_OUTPUT_EXIT, openMachine, type Machine } from '../../src/sdk/machine.js';
import {
  BLOB_BYTES,
  JPEG_BYTES,
  MASK,
  NOTES_TEXT,
  PDF_BYTES,
  PNG_BYTES,
  machineFixture,
  type MachineFixture,
} from '../support/sdk-tree.js';
import { removeDir } from '../support/temp.js';
import { codeOfAsync } from '../support/codes.js';

/** Every file under a directory, relative, sorted (temporary files included, so leftovers show). */
async function listTree(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((d) => !d.isDirectory())
      .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
      .sort();
  } catch {
    return [];
  }
}

async function text(dir: string, rel: string): Promise<string> {
  return readFile(path.join(dir, rel), 'utf8');
}

/** Writes a complete, valid output tree through the SDK (every kind, every writer style). */
export async function writeCompleteOutputs(m: Machine, input: string): Promise<void> {
  const o = m.outputs;
  await o.set('name', 'Ada');
  await o.set('label', 'dog');
  await o.set('when', new Date(Date.UTC(2017, 4, 27, 3, 40, 40)));
  await o.set('flag', true);
  await o.set('count', 42);
  await o.set('ratio', 3.5);
  await o.set('score', 0.85);
  await o.set('report.pdf', PDF_BYTES);
  await o.file('image.png', { path: path.join(input, 'image.png') });
  await o.file('photo.jpg', Readable.from([JPEG_BYTES.subarray(0, 10), JPEG_BYTES.subarray(10)]));
  await o.set('notes.txt', Buffer.from(NOTES_TEXT));
  await o.set('blob', BLOB_BYTES);
  await o.ndarray('mask.npy', MASK);
  const patient = o.object('patient');
  await patient.set('age', 61);
  await patient.set('sex', 'F');
  await patient.object('extra').set('height', 1.8);
  await o.set('scores', [1, 2, 3]);
  const lesions = o.array('lesions');
  await lesions.push({ slice: 4, area: 1.5 });
  await lesions.push({ slice: 9, area: 2 });
  const grid = o.array('grid');
  await grid.push([1, 2]);
  await grid.push([3]);
  await o.set('survival', { event: true, time: 12.5 });
}

describe('sdk/outputs', () => {
  let fx: MachineFixture;
  let m: Machine;
  let savedExitCode: typeof process.exitCode;

  beforeEach(async () => {
    savedExitCode = process.exitCode;
    fx = await machineFixture('outputs');
    m = await openMachine({ ...fx, captureErrors: false });
  });
  afterEach(async () => {
    process.exitCode = savedExitCode;
    await removeDir(fx.dir);
  });

  it('writes primitives in their exact text forms', async () => {
    const o = m.outputs;
    await o.set('name', 'Ada\n');
    await o.set('label', 'cat');
    await o.set('flag', true);
    await o.set('count', 42);
    await o.set('ratio', 0.1);
    await o.set('score', 0.85);
    await o.set('when', new Date(Date.UTC(2017, 4, 27, 3, 40, 40)));
    expect(await text(fx.output, 'name')).to.equal('Ada\n');
    expect(await text(fx.output, 'label')).to.equal('cat');
    expect(await text(fx.output, 'flag')).to.equal('True');
    expect(await text(fx.output, 'count')).to.equal('42');
    expect(await text(fx.output, 'ratio')).to.equal('0.1');
    expect(await text(fx.output, 'score')).to.equal('85%');
    expect(await text(fx.output, 'when')).to.equal('2017-05-27T03:40:40Z');
    await o.set('flag', false);
    await o.set('score', 0.125);
    await o.set('when', new Date(Date.UTC(2017, 4, 27, 3, 40, 40, 123)));
    expect(await text(fx.output, 'flag')).to.equal('False');
    expect(await text(fx.output, 'score')).to.equal('12.5%');
    expect(await text(fx.output, 'when')).to.equal('2017-05-27T03:40:40.123Z');
    await o.set('when', '2017-05-27T05:40:40+02:00');
    expect(await text(fx.output, 'when')).to.equal('2017-05-27T05:40:40+02:00');
    await o.set('score', 1);
    expect(await text(fx.output, 'score')).to.equal('100%');
    expect(await listTree(fx.output)).to.deep.equal([
      'count',
      'flag',
      'label',
      'name',
      'ratio',
      'score',
      'when',
    ]);
  });

  it('writes objects member by member and as a whole, nested', async () => {
    const patient = m.outputs.object('patient');
    await patient.set('age', 61);
    await patient.set('sex', 'M');
    await patient.object('extra').set('height', 1.75);
    expect(await listTree(fx.output)).to.deep.equal(['patient/age', 'patient/extra/height', 'patient/sex']);
    expect(await text(fx.output, 'patient/extra/height')).to.equal('1.75');
    await m.outputs.set('patient', { age: 7, sex: 'F', extra: { height: 1.2 } });
    expect(await text(fx.output, 'patient/age')).to.equal('7');
    expect(await text(fx.output, 'patient/extra/height')).to.equal('1.2');
    await m.outputs.set('survival', { event: false, time: 3 });
    expect(await text(fx.output, 'survival/event')).to.equal('False');
    expect(await text(fx.output, 'survival/time')).to.equal('3');
  });

  it('writes arrays as entries 0..n-1: set(), push(), arrays of objects and of arrays', async () => {
    await m.outputs.set('scores', [5, 6, 7]);
    expect(await listTree(path.join(fx.output, 'scores'))).to.deep.equal(['0', '1', '2']);
    await m.outputs.set('scores', [9]);
    expect(await listTree(path.join(fx.output, 'scores')), 'a new array replaces the old one').to.deep.equal([
      '0',
    ]);
    const lesions = m.outputs.array('lesions');
    expect(await lesions.push({ slice: 1, area: 0.5 })).to.equal(0);
    expect(await lesions.push({ slice: 2, area: 1 })).to.equal(1);
    await lesions.object(2).set('slice', 3);
    await lesions.object(2).set('area', 4);
    expect(await listTree(path.join(fx.output, 'lesions'))).to.deep.equal([
      '0/area',
      '0/slice',
      '1/area',
      '1/slice',
      '2/area',
      '2/slice',
    ]);
    const grid = m.outputs.array('grid');
    await grid.push([1, 2, 3]);
    await grid.push([]);
    await grid.push([4]);
    expect(await listTree(path.join(fx.output, 'grid'))).to.deep.equal(['0/0', '0/1', '0/2', '2/0']);
    expect(await text(fx.output, 'grid/0/2')).to.equal('3');
    const back = await openMachine({
      ...fx,
      input: fx.output,
      output: path.join(fx.dir, 'o2'),
      captureErrors: false,
    });
    expect(await back.inputs.get('grid')).to.deep.equal([[1, 2, 3], [], [4]]);
    expect(await back.inputs.get('lesions')).to.deep.equal([
      { slice: 1, area: 0.5 },
      { slice: 2, area: 1 },
      { slice: 3, area: 4 },
    ]);
  });

  it('numbers concurrent pushes without gaps, in call order', async () => {
    const lesions = m.outputs.array('lesions');
    const n = 60;
    const indices = await Promise.all(
      Array.from({ length: n }, (_, i) => lesions.push({ slice: i, area: i / 2 })),
    );
    expect(indices).to.deep.equal(Array.from({ length: n }, (_, i) => i));
    const entries = (await readdir(path.join(fx.output, 'lesions'))).map(Number).sort((a, b) => a - b);
    expect(entries).to.deep.equal(Array.from({ length: n }, (_, i) => i));
    for (const i of [0, 17, 59]) expect(await text(fx.output, `lesions/${i}/slice`)).to.equal(String(i));
  });

  it('numbers pushes through several writers of one array without gaps or overwrites', async () => {
    const indices = await Promise.all(
      Array.from({ length: 20 }, (_, i) => m.outputs.array('lesions').push({ slice: i, area: 0 })),
    );
    expect(indices).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    expect((await readdir(path.join(fx.output, 'lesions'))).length).to.equal(20);
    for (const i of [0, 7, 19]) expect(await text(fx.output, `lesions/${i}/slice`)).to.equal(String(i));
  });

  it('continues after the last entry when set() or object(i) changed the array', async () => {
    const lesions = m.outputs.array('lesions');
    await lesions.push({ slice: 0, area: 0 });
    await lesions.push({ slice: 1, area: 0 });
    await m.outputs.set('lesions', [{ slice: 9, area: 9 }]);
    expect(await lesions.push({ slice: 2, area: 0 })).to.equal(1);
    await lesions.object(2).set('slice', 5);
    await lesions.object(2).set('area', 5);
    expect(await lesions.push({ slice: 3, area: 0 })).to.equal(3);
    expect(await listTree(path.join(fx.output, 'lesions'))).to.have.length(8);
  });

  it('refuses a push beyond maxItems, and an object(i) index that is not an index', async () => {
    const scores = m.outputs.array('scores');
    for (let i = 0; i < 5; i++) await scores.push(i);
    expect(await codeOfAsync(scores.push(5))).to.equal('BERTH_E_VALUE_CONSTRAINT');
    expect(await listTree(path.join(fx.output, 'scores'))).to.deep.equal(['0', '1', '2', '3', '4']);
    const lesions = m.outputs.array('lesions');
    for (const bad of [1.5, -1, NaN])
      expect(await codeOfAsync(() => lesions.object(bad))).to.equal('BERTH_E_VALUE_TYPE');
  });

  it('set() of an object replaces it whole: a member left out is gone', async () => {
    await m.outputs.set('patient', { age: 1, sex: 'F', nickname: 'Bo', extra: { height: 1 } });
    expect(await text(fx.output, 'patient/nickname')).to.equal('Bo');
    await m.outputs.set('patient', { age: 2, sex: 'M', extra: { height: 2 } });
    expect(await listTree(path.join(fx.output, 'patient'))).to.deep.equal(['age', 'extra/height', 'sex']);
    expect((await readdir(fx.output)).filter(isAtomicTempName)).to.deep.equal([]);
  });

  it('set(nullable, undefined) removes an earlier value', async () => {
    await m.outputs.set('note', 'hi');
    await m.outputs.set('note', undefined);
    expect(await listTree(fx.output)).to.deep.equal([]);
    await m.outputs.object('patient').set('nickname', 'Bo');
    await m.outputs.object('patient').set('nickname', null);
    expect(await listTree(fx.output)).to.deep.equal([]);
  });

  it('types writes with generated output types, and allows any member when untyped', async () => {
    interface Out {
      count: number;
      patient: { age: number; sex: 'F' | 'M'; nickname?: string; extra: { height: number } };
      lesions: { slice: number; area: number }[];
    }
    const typed = await openMachine<Record<string, unknown>, Out>({ ...fx, captureErrors: false });
    await typed.outputs.set('count', 1);
    await typed.outputs.object('patient').object('extra').set('height', 1.5);
    await typed.outputs.array('lesions').push({ slice: 1, area: 2 });
    // @ts-expect-error: count is a number
    expect(await codeOfAsync(typed.outputs.set('count', 'one'))).to.equal('BERTH_E_VALUE_TYPE');
    // @ts-expect-error: not an output
    expect(await codeOfAsync(() => typed.outputs.set('nope', 1))).to.equal('BERTH_E_UNDECLARED_PROPERTY');
    await m.outputs.object('patient').set('age', 3); // untyped: any member name compiles
  });

  it('leaves the index of a refused push free for the next', async () => {
    const scores = m.outputs.array('scores');
    const results = await Promise.allSettled([
      scores.push(1),
      scores.push('two' as unknown as number),
      scores.push(3),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseFulfilledResult<number>).value).to.equal(1);
    expect(await listTree(path.join(fx.output, 'scores'))).to.deep.equal(['0', '1']);
    expect(await text(fx.output, 'scores/1')).to.equal('3');
  });

  it('appends to an array that already has entries', async () => {
    await m.outputs.set('scores', [1, 2]);
    const fresh = await openMachine({ ...fx, captureErrors: false });
    expect(await fresh.outputs.array('scores').push(3)).to.equal(2);
  });

  it('writes files from a Buffer, a {path}, a stream and an async iterable, and ndarrays as .npy', async () => {
    const o = m.outputs;
    await o.file('report.pdf', PDF_BYTES);
    await o.file('image.png', { path: path.join(fx.input, 'image.png') });
    await o.file('photo.jpg', Readable.from([JPEG_BYTES]));
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < BLOB_BYTES.length; i += 3) yield BLOB_BYTES.subarray(i, i + 3);
    }
    await o.file('blob', chunks());
    await o.ndarray('mask.npy', MASK);
    expect(Buffer.compare(await readFile(path.join(fx.output, 'report.pdf')), PDF_BYTES)).to.equal(0);
    expect(Buffer.compare(await readFile(path.join(fx.output, 'image.png')), PNG_BYTES)).to.equal(0);
    expect(Buffer.compare(await readFile(path.join(fx.output, 'photo.jpg')), JPEG_BYTES)).to.equal(0);
    expect(Buffer.compare(await readFile(path.join(fx.output, 'blob')), BLOB_BYTES)).to.equal(0);
    expect(
      Buffer.compare(await readFile(path.join(fx.output, 'mask.npy')), Buffer.from(encodeNpy(MASK))),
    ).to.equal(0);
    // set() takes the same values
    await o.set('mask.npy', ndarray('uint8', [0, 2]));
    const back = await openMachine({
      ...fx,
      input: fx.output,
      output: path.join(fx.dir, 'o2'),
      captureErrors: false,
    });
    expect(((await back.inputs.get('mask.npy')) as NdArray).shape).to.deep.equal([0, 2]);
  });

  describe('refusals: a code, and nothing written', () => {
    const cases: [string, (m: Machine) => Promise<unknown>, string][] = [
      ['an undeclared output', (m) => m.outputs.set('nope' as 'name', 'x'), 'BERTH_E_UNDECLARED_PROPERTY'],
      [
        'an undeclared object member',
        (m) => m.outputs.object('patient').set('weight' as 'age', 70),
        'BERTH_E_UNDECLARED_PROPERTY',
      ],
      [
        'an object with an undeclared member',
        (m) => m.outputs.set('patient', { age: 1, sex: 'F', extra: { height: 1 }, weight: 3 } as never),
        'BERTH_E_UNDECLARED_PROPERTY',
      ],
      ['a string for an integer', (m) => m.outputs.set('count', '42' as never), 'BERTH_E_VALUE_TYPE'],
      ['a fraction for an integer', (m) => m.outputs.set('count', 4.5), 'BERTH_E_VALUE_TYPE'],
      ['a string for a boolean', (m) => m.outputs.set('flag', 'True' as never), 'BERTH_E_VALUE_TYPE'],
      ['NaN for a number', (m) => m.outputs.set('ratio', NaN), 'BERTH_E_VALUE_TYPE'],
      ['a number for a date-time', (m) => m.outputs.set('when', 0 as never), 'BERTH_E_VALUE_TYPE'],
      [
        'a date-time without a zone',
        (m) => m.outputs.set('when', '2017-05-27T03:40:40'),
        'BERTH_E_VALUE_TEXT',
      ],
      ['a lone surrogate', (m) => m.outputs.set('name', '\ud800'), 'BERTH_E_VALUE_TYPE'],
      [
        'undefined for a required output',
        (m) => m.outputs.set('count', undefined as never),
        'BERTH_E_VALUE_TYPE',
      ],
      ['a value outside the enum', (m) => m.outputs.set('label', 'bird'), 'BERTH_E_VALUE_ENUM'],
      ['an integer above maximum', (m) => m.outputs.set('count', 1001), 'BERTH_E_VALUE_CONSTRAINT'],
      ['a percentage above maximum', (m) => m.outputs.set('score', 1.01), 'BERTH_E_VALUE_CONSTRAINT'],
      ['a string above maxLength', (m) => m.outputs.set('name', 'x'.repeat(21)), 'BERTH_E_VALUE_CONSTRAINT'],
      ['too few array items', (m) => m.outputs.set('scores', []), 'BERTH_E_VALUE_CONSTRAINT'],
      [
        'too many array items',
        (m) => m.outputs.set('scores', [1, 2, 3, 4, 5, 6]),
        'BERTH_E_VALUE_CONSTRAINT',
      ],
      ['a bad item in an array', (m) => m.outputs.set('scores', [1, 2, 'x'] as never), 'BERTH_E_VALUE_TYPE'],
      [
        'a bad nested member',
        (m) => m.outputs.set('patient', { age: 1, sex: 'X', extra: { height: 1 } }),
        'BERTH_E_VALUE_ENUM',
      ],
      [
        'a bad item in an array of arrays',
        (m) => m.outputs.set('grid', [[1], [Infinity]]),
        'BERTH_E_VALUE_TYPE',
      ],
      [
        'a PNG as application/pdf (Buffer)',
        (m) => m.outputs.set('report.pdf', PNG_BYTES),
        'BERTH_E_MIME_MISMATCH',
      ],
      [
        'text as image/jpeg (stream)',
        (m) => m.outputs.file('photo.jpg', Readable.from([Buffer.from('hello')])),
        'BERTH_E_MIME_MISMATCH',
      ],
      [
        'a PDF as image/png ({path})',
        (m) => m.outputs.file('image.png', { path: path.join(fx.input, 'report.pdf') }),
        'BERTH_E_MIME_MISMATCH',
      ],
      [
        'NUL bytes as text/plain',
        (m) => m.outputs.file('notes.txt', Buffer.from([0x61, 0])),
        'BERTH_E_MIME_MISMATCH',
      ],
      [
        'a missing {path}',
        (m) => m.outputs.file('blob', { path: path.join(fx.dir, 'nope') }),
        'BERTH_E_NOT_FOUND',
      ],
      ['a number as a file', (m) => m.outputs.set('blob', 5 as never), 'BERTH_E_VALUE_TYPE'],
      [
        'an ndarray of another dtype',
        (m) => m.outputs.ndarray('mask.npy', ndarray('float32', [3, 2])),
        'BERTH_E_NDARRAY_MISMATCH',
      ],
      [
        'an ndarray of another shape',
        (m) => m.outputs.ndarray('mask.npy', ndarray('uint8', [2, 3])),
        'BERTH_E_NDARRAY_MISMATCH',
      ],
      [
        'a plain array as an ndarray',
        (m) => m.outputs.set('mask.npy', [1, 2] as never),
        'BERTH_E_VALUE_TYPE',
      ],
      ['file() on an integer output', (m) => m.outputs.file('count', PDF_BYTES), 'BERTH_E_VALUE_TYPE'],
      ['array() on an object output', async (m) => m.outputs.array('patient'), 'BERTH_E_VALUE_TYPE'],
    ];
    for (const [name, write, code] of cases) {
      it(`${name}: ${code}`, async () => {
        expect(await codeOfAsync(() => write(m))).to.equal(code);
        expect(await listTree(fx.output)).to.deep.equal([]);
      });
    }

    it('a refused write leaves the earlier value intact', async () => {
      await m.outputs.set('scores', [1, 2]);
      await m.outputs.set('report.pdf', PDF_BYTES);
      await m.outputs.set('patient', { age: 1, sex: 'F', extra: { height: 1 } });
      expect(await codeOfAsync(m.outputs.set('scores', [1, 'x'] as never))).to.equal('BERTH_E_VALUE_TYPE');
      expect(await codeOfAsync(m.outputs.set('report.pdf', PNG_BYTES))).to.equal('BERTH_E_MIME_MISMATCH');
      expect(
        await codeOfAsync(m.outputs.set('patient', { age: 2, sex: 'F', extra: { height: 'x' } } as never)),
      ).to.equal('BERTH_E_VALUE_TYPE');
      expect(await listTree(fx.output)).to.deep.equal([
        'patient/age',
        'patient/extra/height',
        'patient/sex',
        'report.pdf',
        'scores/0',
        'scores/1',
      ]);
      expect(await text(fx.output, 'patient/age')).to.equal('1');
      expect(Buffer.compare(await readFile(path.join(fx.output, 'report.pdf')), PDF_BYTES)).to.equal(0);
    });

    it('a stream that fails midway leaves no file and no temporary file', async () => {
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.alloc(5000, 1);
        throw new Error('disk on fire');
      }
      expect(await codeOfAsync(m.outputs.file('blob', failing()))).to.not.equal('no error');
      expect(await listTree(fx.output)).to.deep.equal([]);
    });
  });

  it('a nullable output may be left unset or set to undefined', async () => {
    await m.outputs.set('note', undefined);
    expect(await listTree(fx.output)).to.deep.equal([]);
    await m.outputs.set('note', 'hi');
    expect(await text(fx.output, 'note')).to.equal('hi');
  });

  describe('finish()', () => {
    it('returns no findings and writes no error for a complete tree', async () => {
      await writeCompleteOutputs(m, fx.input);
      process.exitCode = undefined;
      const findings = await m.finish();
      expect(findings).to.deep.equal([]);
      expect(process.exitCode).to.equal(undefined);
      expect(await listTree(fx.status)).to.deep.equal([]);
      const definition = await loadMachine(fx.manifest);
      expect(await checkTree(definition, 'out', fx.output)).to.deep.equal([]);
      expect((await listTree(fx.output)).filter(isAtomicTempName)).to.deep.equal([]);
    });

    it('writes status/error and sets exit code 11 (invalid-output) when outputs are missing or invalid', async () => {
      await writeCompleteOutputs(m, fx.input);
      await writeFile(path.join(fx.output, 'count'), 'many');
      await writeFile(path.join(fx.output, 'stray'), '');
      await rm(path.join(fx.output, 'report.pdf'));
      process.exitCode = undefined;
      const findings = await m.finish();
      expect(findings.map((f) => [f.code, path.relative(fx.output, f.path ?? '')])).to.deep.equal([
        ['BERTH_E_VALUE_TEXT', 'count'],
        ['BERTH_E_TREE_MISSING', 'report.pdf'],
        ['BERTH_E_TREE_UNDECLARED', 'stray'],
      ]);
      expect(process.exitCode).to.equal(11);
      const error = await text(fx.status, 'error');
      expect(error).to.match(/^The outputs are invalid \(3 problem\(s\)\):\n/);
      expect(error).to.include('BERTH_E_VALUE_TEXT').and.include('(count)');
      expect(error).to.include('BERTH_E_TREE_MISSING').and.include('(report.pdf)');
      expect(error).to.include('BERTH_E_TREE_UNDECLARED').and.include('(stray)');
    });

    it("exits like the harness's invalid-output outcome, which the SDK cannot import", () => {
      expect(INVALID_OUTPUT_EXIT).to.equal(exitCodeOf('invalid-output'));
    });

    it('reports an empty output tree as every required output missing', async () => {
      await mkdir(fx.output, { recursive: true });
      process.exitCode = undefined;
      const findings = await m.finish();
      expect(new Set(findings.map((f) => f.code))).to.deep.equal(new Set(['BERTH_E_TREE_MISSING']));
      expect(findings.length).to.equal(18); // every output but the nullable `note`
      expect(process.exitCode).to.equal(11);
    });
  });
});
