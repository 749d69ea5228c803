import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { VERSION } from '../../src/version.js';
import { hasStackTrace, runCli } from '../support/cli.js';
import { ROOT, fixture } from '../support/paths.js';

const EVERY_KIND = fixture('manifests', 'types-every-kind.yaml');

/** A machine that uses every generated type correctly: it must compile without a single error. */
const GOOD = `import { openMachine, type FileHandle, type IsoDateTime, type NdArray } from 'berth';
import type { Inputs, Outputs } from './machine.types.js';

const m = await openMachine<Inputs, Outputs>();
const threshold: number = await m.inputs.get('threshold');
const hu: number | undefined = await m.inputs.get('threshold-hu');
const mode: 'fast' | "it's" | 'say "hi"' | 'back\\\\slash' = await m.inputs.get('mode');
const when: IsoDateTime = await m.inputs.get('when');
const text: string = when.text;
const photo: FileHandle = await m.inputs.get('photo');
const volume: Float32Array = (await m.inputs.get('volume')).data;
const anything: NdArray = await m.inputs.get('anything.npy');
const b: boolean = (await m.inputs.get('params')).nested.b;
const cd: number | undefined = (await m.inputs.get('params'))['c-d'];
const list: ('a' | 'b')[] = await m.inputs.get('list');
const event: boolean = (await m.inputs.get('survival')).event;
const all: Inputs = await m.inputs.read();
console.log(threshold, hu, mode, text, photo, volume, anything, b, cd, list, event, all);
const typed = [
  await m.inputs.number('threshold'),
  await m.inputs.percentage('ratio'),
  await m.inputs.number('größe'),
  await m.inputs.enum('mode'),
  await m.inputs.string('note'),
  await m.inputs.boolean('flag'),
  await m.inputs.dateTime('when'),
  await m.inputs.file('photo'),
  await m.inputs.ndarray('volume'),
  await m.inputs.ndarray('anything.npy'),
  await m.inputs.object('params'),
  await m.inputs.object('survival'),
  await m.inputs.array('list'),
  await m.inputs.dicomImage('image'),
  await m.inputs.dicomSeries('ct'),
  await m.inputs.dicomStudy('study'),
];
console.log(typed);

await m.outputs.set('flag', true);
await m.outputs.set('choice', 'yes-please');
await m.outputs.set('when', new Date());
await m.outputs.set('when', '2024-01-01T00:00:00Z');
await m.outputs.set('report.pdf', Buffer.from('%PDF-1.4'));
await m.outputs.set('report.pdf', { path: '/tmp/report.pdf' });
await m.outputs.set('mask.npy', { dtype: 'uint8', shape: [1], data: new Uint8Array(1) });
await m.outputs.array('items').push({ slice: 1, 'area-mm2': 2.5 });
await m.outputs.array('items').push({ slice: 2, 'area-mm2': 0, at: new Date() });
await m.outputs.array('dates').push('2024-01-01T00:00:00Z');
await m.outputs.array('items').object(2).set('slice', 3);
await m.outputs.set('matrix', [[1, 2], [3]]);
await m.outputs.object('obj').set('member', 'text');
await m.outputs.object('obj').object('inner').set('x', 1);
await m.outputs.object('opt').set('y', false);
await m.outputs.set('opt', undefined);
await m.outputs.set('survival', { event: true, time: 12.5 });
await m.finish();
`;

/**
 * Wrong uses, one per line, each ending in the error TypeScript must report on that line. Nothing
 * else in the project may have an error.
 */
const BAD = `import { openMachine } from 'berth';
import type { Inputs, Outputs } from './machine.types.js';

const m = await openMachine<Inputs, Outputs>();
await m.outputs.set('flag', 'x'); // TS2345 wrong value type
await m.outputs.set('nope', 1); // TS2345 unknown output
await m.inputs.get('nope'); // TS2345 unknown input
await m.outputs.set('choice', 'maybe'); // TS2345 not an enum value
const n: string = await m.inputs.get('threshold'); // TS2322 a number read as a string
await m.outputs.array('items').push({ slice: 'one', 'area-mm2': 1 }); // TS2322 wrong item member
await m.outputs.array('items').push({ slice: 1 }); // TS2345 item member missing
await m.outputs.object('obj').set('member', 5); // TS2345 wrong object member
await m.outputs.object('obj').set('nope', 'x'); // TS2345 unknown object member
m.outputs.array('flag'); // TS2345 not an array
await m.outputs.set('mask.npy', { dtype: 'float32', shape: [1], data: new Float32Array(1) }); // TS2322 dtype
await m.outputs.set('label', undefined); // TS2345 required output
const h: number = await m.inputs.get('threshold-hu'); // TS2322 nullable input may be undefined
await m.outputs.set('when', 5); // TS2345 not a date-time
await m.outputs.array('items').object(0).set('slice', '3'); // TS2345 wrong item member, by index
await m.inputs.percentage('ct'); // TS2345 a series read as a percentage
await m.inputs.dicomImage('ct'); // TS2345 a series read as an image
await m.inputs.string('mode'); // TS2345 an enum read as a free string
await m.inputs.object('ct'); // TS2345 a series read as an object
await m.inputs.number('nope'); // TS2345 unknown input, typed accessor
console.log(n, h);
`;

/** `file(line,col): error TSnnnn: message` lines of tsc's plain output. */
function tscErrors(output: string): { file: string; line: number; code: string; message: string }[] {
  return [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map((m) => ({
    file: path.basename(m[1]!),
    line: Number(m[2]),
    code: m[3]!,
    message: m[4]!,
  }));
}

describe('berth types', () => {
  const sample = path.join(ROOT, 'sample-machine', 'machine.yaml');

  it('prints a module with Inputs and Outputs for the sample machine', async () => {
    const r = await runCli(['types', sample]);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).to.equal(`// Generated by berth ${VERSION} from ${sample}. Do not edit:`);
    expect(lines).to.include("import type { DicomSeries, FileSource, NdArrayOf } from 'berth';");
    expect(lines).to.include('export interface Inputs {');
    expect(lines).to.include("  'threshold-hu': number;");
    expect(lines).to.include("  'patient-age'?: number | undefined;");
    expect(lines).to.include("  priority: 'routine' | 'urgent';");
    expect(lines).to.include('  ct: DicomSeries;');
    expect(lines).to.include('export interface Outputs {');
    expect(lines).to.include("  'mask.npy': NdArrayOf<'uint8'>;");
    expect(lines).to.include("  'preview.png': FileSource;");
    expect(lines).to.include("  'analysed-at': Date | string;");
    expect(lines).to.include('  measurements: OutputsMeasurementsItem[];');
    expect(lines).to.include('export interface OutputsMeasurementsItem {');
    expect(lines).to.include('  /** Threshold (HU) */');
  });

  it('--out writes the module to a file and prints nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-types-out-'));
    try {
      const out = path.join(dir, 'sub', 'machine.types.ts');
      const r = await runCli(['types', EVERY_KIND, '--out', out]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('');
      const printed = await runCli(['types', EVERY_KIND]);
      expect(await readFile(out, 'utf8')).to.equal(printed.stdout);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with the findings for a manifest with errors, 2 for one it cannot use', async () => {
    const bad = await runCli(['types', fixture('manifests', 'invalid-several.yaml')]);
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.equal('');
    expect(bad.stderr).to.match(/error\s+BERTH_E_/);
    const missing = await runCli(['types', path.join(ROOT, 'no-such-machine.yaml')]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.match(/BERTH_E_NOT_FOUND/);
    expect(hasStackTrace(missing.stderr)).to.equal(false);
    expect((await runCli(['types'])).code).to.equal(2);
  });

  describe('compile-time checks with the generated types', function () {
    this.timeout(60000);
    let dir = '';
    let errors: ReturnType<typeof tscErrors> = [];

    before(async () => {
      expect(
        existsSync(path.join(ROOT, 'dist', 'index.d.ts')),
        'dist/index.d.ts (run npm run build first)',
      ).to.equal(true);
      // A machine project as a user would have it: berth installed in node_modules, strict options.
      dir = await mkdtemp(path.join(tmpdir(), 'berth-types-tsc-'));
      await mkdir(path.join(dir, 'node_modules'));
      await symlink(ROOT, path.join(dir, 'node_modules', 'berth'), 'dir');
      await symlink(
        path.join(ROOT, 'node_modules', '@types'),
        path.join(dir, 'node_modules', '@types'),
        'dir',
      );
      await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
      const compilerOptions = {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      };
      await writeFile(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions, include: ['*.ts'] }),
      );
      const r = await runCli(['types', EVERY_KIND, '--out', path.join(dir, 'machine.types.ts')]);
      expect(r.code, r.stderr).to.equal(0);
      await writeFile(path.join(dir, 'good.ts'), GOOD);
      await writeFile(path.join(dir, 'bad.ts'), BAD);
      // One tsc run over the whole project; its exit code is non-zero because bad.ts has errors.
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir, '--pretty', 'false'],
          { cwd: dir, timeout: 50000 },
          (error, stdout, stderr) => {
            if (error && typeof error.code !== 'number') reject(error);
            else resolve(stdout + stderr);
          },
        );
      });
      errors = tscErrors(output);
      expect(errors.length, output).to.be.greaterThan(0);
    });

    after(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('compiles the generated module and a machine that uses it correctly', () => {
      expect(errors.filter((e) => e.file !== 'bad.ts')).to.deep.equal([]);
    });

    it('refuses each wrong use with the expected error on its line', () => {
      const expected = BAD.split('\n').flatMap((l, i) => {
        const m = / \/\/ (TS\d+) /.exec(l);
        return m ? [`${i + 1} ${m[1]}`] : [];
      });
      expect(expected).to.have.length(20);
      const actual = [
        ...new Set(errors.filter((e) => e.file === 'bad.ts').map((e) => `${e.line} ${e.code}`)),
      ];
      expect(actual).to.deep.equal(expected);
    });
  });
});
