import { expect } from 'chai';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import { compareOutputs } from '../../../src/harness/compare/index.js';
import type { Comparison, Tolerance } from '../../../src/harness/types.js';
import { at, machine, pixelsOf, setElement, writeRun, type Edit } from './helpers.js';
import { removeDir, tempDir } from '../../support/temp.js';

const TS_JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

describe('harness/compare: DICOM', () => {
  let dir: string;
  let expected: string;
  let actual: string;
  const def = machine({
    ct: { 'dicom-type': 'dicom-series' },
    key: { 'dicom-type': 'dicom-image' },
    study: { 'dicom-type': 'dicom-study' },
  });

  beforeEach(async () => {
    dir = await tempDir('dicom');
    expected = path.join(dir, 'expected');
    actual = path.join(dir, 'actual');
  });
  afterEach(() => removeDir(dir));

  async function compare(
    tolerances: Record<string, Tolerance> = {},
    assetsDir?: string,
  ): Promise<Comparison[]> {
    return compareOutputs(def, expected, actual, { tolerances, ...(assetsDir ? { assetsDir } : {}) });
  }

  /** Adds `delta` to the first `count` pixels of slice `slice`. */
  const bump =
    (slice: number, count: number, delta: number): Edit =>
    (elements, i) => {
      if (i !== slice) return elements;
      const px = pixelsOf(elements).slice();
      for (let k = 0; k < count; k++) px[k * 17] = px[k * 17]! + delta;
      return setElement(elements, { tag: 0x7fe00010, vr: 'OW', value: px });
    };

  describe('dicom-series', () => {
    it('passes the same series from another run: new UIDs, creation and content times', async () => {
      const [e] = await writeRun(path.join(expected, 'ct'), 1);
      const [a] = await writeRun(path.join(actual, 'ct'), 2);
      expect(path.basename(e!)).to.not.equal(path.basename(a!));
      const c = at(await compare(), 'ct');
      expect(c, c.message).to.include({
        method: 'dicom',
        passed: true,
        expected: 'CT series, 4 instance(s)',
      });
      expect(c.metrics).to.deep.include({
        instances: { expected: 4, actual: 4, matched: 4, matchedBy: ['InstanceNumber'] },
        attributeDifferences: 0,
        differingPixels: 0,
      });
    });

    it('pairs instances in geometric order when they have no usable InstanceNumber', async () => {
      const same: Edit = (els) => setElement(els, { tag: 0x00200013, vr: 'IS', value: '1' });
      await writeRun(path.join(expected, 'ct'), 1, {}, same);
      await writeRun(path.join(actual, 'ct'), 2, {}, same);
      const c = at(await compare(), 'ct');
      expect(c.passed, c.message).to.equal(true);
      expect((c.metrics?.['instances'] as { matchedBy: string[] }).matchedBy).to.deep.equal(['order']);
    });

    it('fails pixels that differ beyond abs, counting pixels and the largest difference', async () => {
      await writeRun(path.join(expected, 'ct'), 1);
      await writeRun(path.join(actual, 'ct'), 2, {}, bump(1, 3, 5));
      const c = at(await compare(), 'ct');
      expect(c.passed).to.equal(false);
      expect(c.metrics).to.deep.include({ differingPixels: 3, maxAbsDiff: 5, attributeDifferences: 0 });
      expect(c.message).to.match(/3 pixel\(s\) differ by more than 0 \(at most 0 may\)/);
      expect(at(await compare({ ct: { abs: 5 } }), 'ct').passed).to.equal(true);
      expect(at(await compare({ ct: { maxDiffPixels: 3 } }), 'ct').passed).to.equal(true);
      expect(at(await compare({ ct: { abs: 4, maxDiffPixels: 2 } }), 'ct').passed).to.equal(false);
    });

    it('fails a changed attribute that is not volatile, and passes once it is ignored', async () => {
      await writeRun(path.join(expected, 'ct'), 1);
      await writeRun(path.join(actual, 'ct'), 2, { seriesDescription: 'Renamed' });
      const c = at(await compare(), 'ct');
      expect(c.passed).to.equal(false);
      expect(c.metrics?.['attributeDifferences']).to.equal(4);
      expect((c.metrics?.['differences'] as unknown[])[0]).to.deep.equal({
        instance: 'instance 1',
        attribute: 'SeriesDescription',
        expected: '"Synthetic CT series 1"',
        actual: '"Renamed"',
      });
      expect(c.message).to.match(/4 attribute difference\(s\): instance 1 SeriesDescription/);
      expect(at(await compare({ ct: { ignore: ['SeriesDescription'] } }), 'ct').passed).to.equal(true);
      expect(at(await compare({ ct: { ignore: ['(0008,103E)'] } }), 'ct').passed).to.equal(true);
    });

    it('compares StudyInstanceUID (outputs join the input study) and numbers by value', async () => {
      await writeRun(path.join(expected, 'ct'), 1);
      await writeRun(path.join(actual, 'ct'), 2, { studyInstanceUid: '1.2.3.4' }, (els) =>
        setElement(els, { tag: 0x00180050, vr: 'DS', value: '2.50' }),
      );
      const c = at(await compare(), 'ct');
      const attrs = (c.metrics?.['differences'] as { attribute: string }[]).map((d) => d.attribute);
      expect(attrs).to.include('StudyInstanceUID');
      expect(attrs).to.not.include('SliceThickness'); // 2.50 = 2.5
    });

    it('fails missing and extra instances by their InstanceNumber', async () => {
      await writeRun(path.join(expected, 'ct'), 1);
      const files = await writeRun(path.join(actual, 'ct'), 2);
      await rm(files[3]!);
      const c = at(await compare(), 'ct');
      expect(c.passed).to.equal(false);
      expect(c.metrics).to.deep.include({ missing: ['instance 4'], extra: [] });
      expect(c.message).to.match(/missing in the actual output: instance 4/);
    });

    it('fails, without throwing, a series folder holding a file that is not DICOM', async () => {
      await writeRun(path.join(expected, 'ct'), 1);
      await writeRun(path.join(actual, 'ct'), 2);
      await writeFile(path.join(actual, 'ct', 'notes.txt'), 'hello');
      const c = at(await compare(), 'ct');
      expect(c.passed).to.equal(false);
      expect(c.message).to.match(/actual dicom-series cannot be read: 1 file\(s\) are not usable/);
    });

    it('compares compressed frames byte for byte', async () => {
      const encapsulate =
        (changeSlice?: number): Edit =>
        (els, i) => {
          const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xdb, i, i === changeSlice ? 99 : 0, 0xff, 0xd9]);
          return setElement(els, {
            tag: 0x7fe00010,
            vr: 'OB',
            value: { encapsulated: true, fragments: [bytes], offsetTable: [] },
          });
        };
      await writeRun(path.join(expected, 'ct'), 1, { transferSyntaxUid: TS_JPEG_BASELINE }, encapsulate());
      await writeRun(path.join(actual, 'ct'), 2, { transferSyntaxUid: TS_JPEG_BASELINE }, encapsulate());
      expect(at(await compare(), 'ct').passed).to.equal(true);
      await removeDir(actual);
      await writeRun(path.join(actual, 'ct'), 2, { transferSyntaxUid: TS_JPEG_BASELINE }, encapsulate(2));
      const c = at(await compare({ ct: { abs: 1000, maxDiffPixels: 1000 } }), 'ct');
      expect(c.passed).to.equal(false);
      expect(c.metrics?.['differingFrames']).to.equal(1);
    });

    it('renders the middle slice of expected and actual, and the diff, into the asset folder', async () => {
      await writeRun(path.join(expected, 'ct'), 1);
      await writeRun(path.join(actual, 'ct'), 2, {}, bump(1, 3, 500));
      const assetsDir = path.join(dir, 'assets');
      const c = at(await compare({}, assetsDir), 'ct');
      expect(c.images).to.deep.equal({
        expected: 'ct/expected.png',
        actual: 'ct/actual.png',
        diff: 'ct/diff.png',
      });
      const diff = PNG.sync.read(await readFile(path.join(assetsDir, 'ct/diff.png')));
      expect([diff.width, diff.height]).to.deep.equal([16, 16]);
      // The middle of four slices is the second (index 1), where the three changed pixels are.
      const red = (i: number) => diff.data[i * 4] === 255 && diff.data[i * 4 + 1] === 0;
      expect([0, 17, 34].every(red)).to.equal(true);
      expect(red(1)).to.equal(false);
      const shown = PNG.sync.read(await readFile(path.join(assetsDir, 'ct/expected.png')));
      const greys = new Set<number>();
      for (let i = 0; i < 256; i++) greys.add(shown.data[i * 4]!);
      expect(greys.size).to.be.greaterThan(2); // windowed, not blank
    });
  });

  describe('dicom-image', () => {
    it('passes an equal image from another run and fails a changed one', async () => {
      const [e] = await writeRun(path.join(dir, 'e'), 1, { instances: 1 });
      const [a] = await writeRun(path.join(dir, 'a'), 2, { instances: 1 }, (els) =>
        setElement(els, { tag: 0x00100010, vr: 'PN', value: 'Other^Patient' }),
      );
      const [same] = await writeRun(path.join(dir, 's'), 3, { instances: 1 });
      await mkdir(expected, { recursive: true });
      await mkdir(actual, { recursive: true });
      await rename(e!, path.join(expected, 'key'));
      await rename(same!, path.join(actual, 'key'));
      expect(at(await compare(), 'key')).to.include({ passed: true, expected: 'CT image 16×16' });
      await rename(a!, path.join(actual, 'key'));
      const c = at(await compare(), 'key');
      expect(c.passed).to.equal(false);
      expect(c.metrics?.['differences']).to.deep.equal([
        {
          instance: 'instance 1',
          attribute: 'PatientName',
          expected: '"Synthetic^Patient1"',
          actual: '"Other^Patient"',
        },
      ]);
    });
  });

  describe('dicom-study', () => {
    async function writeStudyRun(root: string, run: number, order: number[], drop?: number): Promise<void> {
      const specs = [
        { modality: 'CT' as const, seriesIndex: 0 },
        { modality: 'MR' as const, seriesIndex: 1 },
      ];
      for (const k of order) {
        if (k === drop) continue;
        await writeRun(path.join(root, 'study', `s${run}-${k}`), run, specs[k]);
      }
    }

    it('pairs series by SeriesNumber whatever their folders, and passes an equal study', async () => {
      await writeStudyRun(expected, 1, [0, 1]);
      await writeStudyRun(actual, 2, [1, 0]);
      const c = at(await compare(), 'study');
      expect(c.passed, c.message).to.equal(true);
      expect(c.metrics?.['series']).to.deep.equal({
        expected: 2,
        actual: 2,
        matched: 2,
        matchedBy: 'SeriesNumber',
      });
      expect(c.expected).to.equal('study, 2 series, 8 instance(s)');
    });

    it('fails a missing series, naming it', async () => {
      await writeStudyRun(expected, 1, [0, 1]);
      await writeStudyRun(actual, 2, [0, 1], 1);
      const c = at(await compare(), 'study');
      expect(c.passed).to.equal(false);
      expect(c.metrics?.['missing']).to.deep.equal(['series 2 (MR "Synthetic MR series 2")']);
    });

    it('names the series of an attribute difference', async () => {
      await writeStudyRun(expected, 1, [0, 1]);
      await writeStudyRun(actual, 2, [0]);
      await writeRun(path.join(actual, 'study', 'mr'), 2, { modality: 'MR', seriesIndex: 1 }, (els) =>
        setElement(els, { tag: 0x00180081, vr: 'DS', value: '21' }),
      );
      const c = at(await compare(), 'study');
      expect(c.passed).to.equal(false);
      expect((c.metrics?.['differences'] as unknown[])[0]).to.deep.equal({
        series: 'series 2 (MR "Synthetic MR series 2")',
        instance: 'instance 1',
        attribute: 'EchoTime',
        expected: '20',
        actual: '21',
      });
    });
  });
});
