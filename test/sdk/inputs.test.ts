import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { IsoDateTime } from '../../src/kinds/date-time.js';
import { FileHandle } from '../../src/kinds/file-handle.js';
import type { NdArray } from '../../src/ndarray/ndarray.js';
import { openMachine, type Machine } from '../../src/sdk/machine.js';
import {
  BLOB_BYTES,
  JPEG_BYTES,
  MASK,
  NOTES_TEXT,
  PDF_BYTES,
  PNG_BYTES,
  machineFixture,
  writeManifest,
  type MachineFixture,
} from '../support/sdk-tree.js';
import { ROOT } from '../support/paths.js';
import { removeDir, tempDir } from '../support/temp.js';
import { codeOfAsync } from '../support/codes.js';

const run = promisify(execFile);

async function streamToBuffer(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

describe('sdk/inputs', () => {
  let fx: MachineFixture;
  let m: Machine;

  beforeEach(async () => {
    fx = await machineFixture('inputs');
    m = await openMachine({ ...fx, captureErrors: false });
  });
  afterEach(() => removeDir(fx.dir));

  it('reads every primitive kind with get(), decoded by its kind', async () => {
    expect(await m.inputs.get('name')).to.equal('Ada');
    expect(await m.inputs.get('label')).to.equal('cat'); // one trailing newline dropped
    expect(await m.inputs.get('flag')).to.equal(true);
    expect(await m.inputs.get('count')).to.equal(42);
    expect(await m.inputs.get('ratio')).to.equal(3.5);
    expect(await m.inputs.get('score')).to.equal(0.85);
    const when = await m.inputs.get('when');
    expect(when).to.be.instanceOf(IsoDateTime).and.instanceOf(Date);
    expect((when as IsoDateTime).toISOString()).to.equal('2017-05-27T03:40:40.000Z');
    expect((when as IsoDateTime).text).to.equal('2017-05-27T03:40:40Z');
  });

  it('reads every kind with its typed accessor', async () => {
    expect(await m.inputs.string('name')).to.equal('Ada');
    expect(await m.inputs.enum('label')).to.equal('cat');
    expect((await m.inputs.dateTime('when')).getTime()).to.equal(Date.UTC(2017, 4, 27, 3, 40, 40));
    expect(await m.inputs.boolean('flag')).to.equal(true);
    expect(await m.inputs.integer('count')).to.equal(42);
    expect(await m.inputs.number('ratio')).to.equal(3.5);
    expect(await m.inputs.number('count')).to.equal(42); // an integer is a number too
    expect(await m.inputs.percentage('score')).to.equal(0.85);
    expect(await m.inputs.file('image.png')).to.be.instanceOf(FileHandle);
    expect((await m.inputs.ndarray('mask.npy')).shape).to.deep.equal([3, 2]);
    expect(await m.inputs.object('patient')).to.deep.equal({ age: 61, sex: 'F', extra: { height: 1.8 } });
    expect(await m.inputs.object('survival')).to.deep.equal({ event: true, time: 12.5 });
    expect(await m.inputs.array('scores')).to.deep.equal([1, 2, 3]);
  });

  it('refuses a typed accessor of the wrong kind, and an undeclared name', async () => {
    expect(await codeOfAsync(m.inputs.integer('ratio'))).to.equal('BERTH_E_VALUE_TYPE');
    expect(await codeOfAsync(m.inputs.string('count'))).to.equal('BERTH_E_VALUE_TYPE');
    expect(await codeOfAsync(m.inputs.file('mask.npy'))).to.equal('BERTH_E_VALUE_TYPE');
    // A percentage holds a number, but only percentage() reads it (a fraction), and the reverse.
    expect(await codeOfAsync(m.inputs.number('score'))).to.equal('BERTH_E_VALUE_TYPE');
    expect(await codeOfAsync(m.inputs.percentage('ratio'))).to.equal('BERTH_E_VALUE_TYPE');
    expect(await codeOfAsync(m.inputs.enum('name'))).to.equal('BERTH_E_VALUE_TYPE');
    expect(await codeOfAsync(m.inputs.string('label'))).to.equal('BERTH_E_VALUE_TYPE');
    expect(await codeOfAsync(m.inputs.array('patient'))).to.equal('BERTH_E_VALUE_TYPE');
    expect(await codeOfAsync(() => m.inputs.get('nope' as 'name'))).to.equal('BERTH_E_UNDECLARED_PROPERTY');
    expect(await codeOfAsync(() => m.inputs.string('nope'))).to.equal('BERTH_E_UNDECLARED_PROPERTY');
  });

  it('reads a nullable input that is absent as undefined, and present as its value', async () => {
    expect(await m.inputs.get('note')).to.equal(undefined);
    expect(await m.inputs.string('note')).to.equal(undefined);
    await writeFile(path.join(fx.input, 'note'), 'line\n');
    expect(await m.inputs.get('note')).to.equal('line\n'); // strings are read byte for byte
  });

  it('reads nested objects, arrays of objects and arrays of arrays', async () => {
    expect(await m.inputs.get('patient')).to.deep.equal({ age: 61, sex: 'F', extra: { height: 1.8 } });
    expect(await m.inputs.get('lesions')).to.deep.equal([
      { slice: 4, area: 1.5 },
      { slice: 9, area: 2 },
    ]);
    expect(await m.inputs.get('grid')).to.deep.equal([[1, 2], [3]]);
  });

  it('reads arrays in index order, not name order (10 after 9)', async () => {
    const dir = path.join(fx.input, 'grid', '0');
    await rm(dir, { recursive: true });
    await mkdir(dir);
    for (let i = 0; i < 12; i++) await writeFile(path.join(dir, String(i)), String(i * 10));
    expect(await m.inputs.get('grid')).to.deep.equal([Array.from({ length: 12 }, (_, i) => i * 10), [3]]);
  });

  it('reads an empty array directory as []', async () => {
    await rm(path.join(fx.input, 'lesions'), { recursive: true });
    await mkdir(path.join(fx.input, 'lesions'));
    expect(await m.inputs.get('lesions')).to.deep.equal([]);
  });

  it('reads files as handles: path, size, detected and declared type, read(), stream(), text()', async () => {
    const png = await m.inputs.file('image.png');
    expect(png.path).to.equal(path.join(fx.input, 'image.png'));
    expect(png.size).to.equal(PNG_BYTES.length);
    expect(png.detectedType).to.equal('image/png');
    expect(png.declaredType).to.equal('image/png');
    expect(Buffer.compare(await png.read(), PNG_BYTES)).to.equal(0);
    expect(Buffer.compare(await streamToBuffer(png.stream()), PNG_BYTES)).to.equal(0);
    expect(
      Buffer.compare(await streamToBuffer(png.stream({ start: 1, end: 3 })), PNG_BYTES.subarray(1, 4)),
    ).to.equal(0);
    const pdf = await m.inputs.file('report.pdf');
    expect(pdf.detectedType).to.equal('application/pdf');
    expect(pdf.size).to.equal(PDF_BYTES.length);
    expect((await m.inputs.file('photo.jpg')).detectedType).to.equal('image/jpeg');
    expect(await (await m.inputs.file('notes.txt')).text()).to.equal(NOTES_TEXT);
    const blob = await m.inputs.file('blob');
    expect(blob.detectedType).to.equal(undefined);
    expect(blob.declaredType).to.equal('application/octet-stream');
    expect(Buffer.compare(await blob.read(), BLOB_BYTES)).to.equal(0);
    expect(JPEG_BYTES.length).to.be.greaterThan(0);
  });

  it('reads an ndarray', async () => {
    const arr = (await m.inputs.get('mask.npy')) as NdArray;
    expect(arr.dtype).to.equal('uint8');
    expect(arr.shape).to.deep.equal([3, 2]);
    expect([...arr.data]).to.deep.equal([...MASK.data]);
  });

  it('read() reads the whole tree into one object', async () => {
    const all = await m.inputs.read();
    const {
      'image.png': png,
      'report.pdf': pdf,
      'photo.jpg': jpg,
      'notes.txt': txt,
      blob,
      'mask.npy': mask,
      when,
      ...rest
    } = all;
    expect(rest).to.deep.equal({
      name: 'Ada',
      label: 'cat',
      flag: true,
      count: 42,
      ratio: 3.5,
      score: 0.85,
      patient: { age: 61, sex: 'F', extra: { height: 1.8 } },
      scores: [1, 2, 3],
      lesions: [
        { slice: 4, area: 1.5 },
        { slice: 9, area: 2 },
      ],
      grid: [[1, 2], [3]],
      survival: { event: true, time: 12.5 },
    });
    expect('note' in all, 'an absent nullable input is left out').to.equal(false);
    for (const h of [png, pdf, jpg, txt, blob]) expect(h).to.be.instanceOf(FileHandle);
    expect((mask as NdArray).shape).to.deep.equal([3, 2]);
    expect((when as Date).getTime()).to.equal(Date.UTC(2017, 4, 27, 3, 40, 40));
  });

  describe('refusals, each with its code and path', () => {
    const cases: [string, (input: string) => Promise<void>, string, string][] = [
      ['missing required', (i) => rm(path.join(i, 'count')), 'count', 'BERTH_E_TREE_MISSING'],
      ['integer 12abc', (i) => writeFile(path.join(i, 'count'), '12abc'), 'count', 'BERTH_E_VALUE_TEXT'],
      ['boolean yes', (i) => writeFile(path.join(i, 'flag'), 'yes'), 'flag', 'BERTH_E_VALUE_TEXT'],
      ['percentage 85', (i) => writeFile(path.join(i, 'score'), '85'), 'score', 'BERTH_E_VALUE_TEXT'],
      ['enum bird', (i) => writeFile(path.join(i, 'label'), 'bird'), 'label', 'BERTH_E_VALUE_ENUM'],
      ['constraint', (i) => writeFile(path.join(i, 'count'), '5000'), 'count', 'BERTH_E_VALUE_CONSTRAINT'],
      [
        'invalid UTF-8',
        (i) => writeFile(path.join(i, 'name'), Buffer.from([0xff])),
        'name',
        'BERTH_E_NOT_UTF8',
      ],
      ['array gap', (i) => rm(path.join(i, 'scores', '1')), 'scores', 'BERTH_E_TREE_ARRAY_GAP'],
      [
        'array entry 01',
        (i) => writeFile(path.join(i, 'scores', '01'), '1'),
        'scores',
        'BERTH_E_TREE_ARRAY_INDEX',
      ],
      [
        'array entry x',
        (i) => writeFile(path.join(i, 'scores', 'x'), '1'),
        'scores',
        'BERTH_E_TREE_ARRAY_INDEX',
      ],
      [
        'wrong MIME',
        (i) => writeFile(path.join(i, 'image.png'), PDF_BYTES),
        'image.png',
        'BERTH_E_MIME_MISMATCH',
      ],
      [
        'npy dtype',
        (i) => writeFile(path.join(i, 'mask.npy'), Buffer.from('nope')),
        'mask.npy',
        'BERTH_E_NPY_FORMAT',
      ],
      [
        'directory for a file',
        async (i) => {
          await rm(path.join(i, 'count'));
          await mkdir(path.join(i, 'count'));
        },
        'count',
        'BERTH_E_TREE_NOT_FILE',
      ],
      [
        'file for a directory',
        async (i) => {
          await rm(path.join(i, 'patient'), { recursive: true });
          await writeFile(path.join(i, 'patient'), '');
        },
        'patient',
        'BERTH_E_TREE_NOT_DIRECTORY',
      ],
      [
        'symlink out of the tree',
        async (i) => {
          await rm(path.join(i, 'count'));
          await symlink('/etc/hostname', path.join(i, 'count'));
        },
        'count',
        'BERTH_E_TREE_SYMLINK',
      ],
      [
        'FIFO (never opened, so no hang)',
        async (i) => {
          await rm(path.join(i, 'count'));
          await run('mkfifo', [path.join(i, 'count')]);
        },
        'count',
        'BERTH_E_TREE_SPECIAL',
      ],
    ];
    for (const [name, breakIt, prop, code] of cases) {
      it(`${name}: ${code}`, async () => {
        await breakIt(fx.input);
        let error: { code?: string; path?: string; property?: string } | undefined;
        try {
          await m.inputs.get(prop as 'name');
        } catch (e) {
          error = e as typeof error;
        }
        expect(error?.code).to.equal(code);
        expect(error?.path?.startsWith(path.join(fx.input, prop))).to.equal(true);
        expect(error?.property).to.equal(`schema-in/${prop}`);
        // read() fails the same way
        expect(await codeOfAsync(m.inputs.read())).to.equal(code);
      });
    }
  });

  it('follows a symlink inside the input tree', async () => {
    await rm(path.join(fx.input, 'patient', 'age'));
    await symlink('../count', path.join(fx.input, 'patient', 'age'));
    expect(await m.inputs.get('patient')).to.deep.equal({ age: 42, sex: 'F', extra: { height: 1.8 } });
  });

  it('refuses an input root that does not exist', async () => {
    expect(
      await codeOfAsync(openMachine({ ...fx, input: path.join(fx.dir, 'nope'), captureErrors: false })),
    ).to.equal('BERTH_E_NOT_FOUND');
  });
});

describe('sdk/inputs: a big array under a low open-file limit', function () {
  this.timeout(60000);
  let dir: string;
  before(async () => {
    dir = await tempDir('fdlimit');
  });
  after(() => removeDir(dir));

  it('reads and checks 3,000 entries under `ulimit -n 200`', async () => {
    const manifest = await writeManifest(dir, { values: { type: 'array', items: { type: 'integer' } } }, {});
    const input = path.join(dir, 'input');
    await mkdir(path.join(input, 'values'), { recursive: true });
    for (let i = 0; i < 3000; i++) await writeFile(path.join(input, 'values', String(i)), String(i));
    const script = path.join(dir, 'child.mjs');
    await writeFile(
      script,
      `const [sdk, manifest, input, output] = process.argv.slice(2);
const { openMachine } = await import(sdk);
const { checkTree, loadMachine } = await import(sdk.replace(/index\\.ts$/, 'tools.ts'));
const m = await openMachine({ manifest, input, output, status: output + '-status', captureErrors: false });
const values = await m.inputs.get('values');
const findings = await checkTree(await loadMachine(manifest), 'in', input);
process.stdout.write(JSON.stringify({ n: values.length, last: values[2999], findings: findings.length }));`,
    );
    const sdk = pathToFileURL(path.join(ROOT, 'src', 'index.ts')).href;
    const { stdout } = await run(
      'bash',
      [
        '-c',
        'ulimit -n 200 && exec "$0" --import tsx "$@"',
        process.execPath,
        script,
        sdk,
        manifest,
        input,
        path.join(dir, 'out'),
      ],
      { cwd: ROOT, timeout: 50000 },
    );
    expect(JSON.parse(stdout)).to.deep.equal({ n: 3000, last: 2999, findings: 0 });
  });
});
