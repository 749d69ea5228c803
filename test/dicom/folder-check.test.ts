import { expect } from 'chai';
import { copyFile, mkdir, readFile, readdir, realpath, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isNotApplicable } from '../../src/dicom/instance-rules.js';
import { checkDicomProperty, inputUidSource } from '../../src/kinds/dicom-property.js';
import { checkTree } from '../../src/check/tree.js';
import { SOP_CLASS, writeSeries, writeStudy } from '../../src/dicom/synth.js';
import { writeBrokenCorpus } from '../support/broken-corpus.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import type { Code, Finding } from '../../src/errors.js';
import { removeDir, tempDir } from '../support/temp.js';
import { codes, definition, editedInstance, put } from '../support/dicom-fixtures.js';

const SERIES = { 'dicom-type': 'dicom-series' };
const STUDY = { 'dicom-type': 'dicom-study' };
const IMAGE = { 'dicom-type': 'dicom-image' };
/** MPEG-2 Main Profile: a syntax berth has no encoder for, so nothing converts to it. */
const MPEG2 = '1.2.840.10008.1.2.4.100';

/** Checks one property `x` declared as `def` whose entry is `dir` (input side unless told). */
async function check(def: object, dir: string, side: 'in' | 'out' = 'in'): Promise<Finding[]> {
  const machine = definition(side === 'in' ? { x: def } : {}, side === 'out' ? { x: def } : {});
  const p = (side === 'in' ? machine.inputs : machine.outputs)[0]!;
  return checkDicomProperty(p, dir, side);
}

function expectBroken(findings: readonly Finding[]): void {
  for (const f of findings) expect(isNotApplicable(f.code), `${f.code} is broken`).to.equal(false);
}

function expectNotApplicable(findings: readonly Finding[]): void {
  expect(findings).to.have.length.greaterThan(0);
  for (const f of findings) expect(isNotApplicable(f.code), `${f.code} is not applicable`).to.equal(true);
}

describe('dicom/folder-check: DICOM entries in trees, through their kinds', () => {
  let tmp: string;
  let n = 0;
  /** A fresh folder under the temp dir (real path, as checkTree hands the DICOM check). */
  const fresh = (name: string): string => path.join(tmp, `${n++}-${name}`);
  before(async () => {
    tmp = await realpath(await tempDir('check-dicom'));
  });
  after(() => removeDir(tmp));

  describe('good inputs', () => {
    it('passes a series, a study and an image laid out as the platform does', async () => {
      const series = await writeSeries(fresh('series'), { seed: 'good', instances: 4 });
      expect(await check(SERIES, series.dir)).to.deep.equal([]);
      const study = await writeStudy(fresh('study'), {
        seed: 'good',
        series: ['CT', 'MR', 'CR'],
        instances: 3,
      });
      expect(await check(STUDY, study.dir)).to.deep.equal([]);
      expect(await check(IMAGE, series.files[0]!.path)).to.deep.equal([]);
    });

    it('passes a series that meets every constraint', async () => {
      const series = await writeSeries(fresh('series'), { seed: 'good', instances: 4, modality: 'MR' });
      const def = {
        ...SERIES,
        'transfer-syntax-uid': [TS.ExplicitVRLittleEndian, TS.ImplicitVRLittleEndian],
        'series-related-instances': 4,
        'sop-classes': [SOP_CLASS.MR],
        modalities: ['MR', 'CT'],
      };
      expect(await check(def, series.dir)).to.deep.equal([]);
    });

    it('matches study-related-series as a multiset: any order of series passes', async () => {
      const dir = fresh('study');
      for (const [i, count] of [2, 3, 4].entries()) {
        await writeStudy(dir, { seed: `ms${i}`, studyInstanceUid: '1.2.3.4', series: 1, instances: count });
      }
      for (const counts of [
        [2, 3, 4],
        [4, 2, 3],
        [3, 4, 2],
      ]) {
        const def = { ...STUDY, 'study-related-series': counts, 'study-related-instances': 9 };
        expect(await check(def, dir), counts.join()).to.deep.equal([]);
      }
    });
  });

  describe('constraints: not applicable', () => {
    let series: Awaited<ReturnType<typeof writeSeries>>;
    let study: Awaited<ReturnType<typeof writeStudy>>;
    before(async () => {
      series = await writeSeries(fresh('series'), { seed: 'na', instances: 4 });
      study = await writeStudy(fresh('study'), { seed: 'na', series: 3, instances: 3 });
    });

    const cases: [string, object, () => string, Code][] = [
      [
        'transfer-syntax-uid berth cannot convert to',
        { ...SERIES, 'transfer-syntax-uid': [MPEG2] },
        () => series.dir,
        'BERTH_E_DICOM_TRANSFER_SYNTAX',
      ],
      [
        'series-related-instances',
        { ...SERIES, 'series-related-instances': 5 },
        () => series.dir,
        'BERTH_E_DICOM_SERIES_INSTANCES',
      ],
      [
        'sop-classes',
        { ...SERIES, 'sop-classes': [SOP_CLASS.MR] },
        () => series.dir,
        'BERTH_E_DICOM_SOP_CLASS',
      ],
      ['modalities', { ...SERIES, modalities: ['MR'] }, () => series.dir, 'BERTH_E_DICOM_MODALITY'],
      [
        'study-related-series',
        { ...STUDY, 'study-related-series': [3, 3, 2] },
        () => study.dir,
        'BERTH_E_DICOM_STUDY_SERIES',
      ],
      [
        'study-related-series (fewer series)',
        { ...STUDY, 'study-related-series': [3, 3] },
        () => study.dir,
        'BERTH_E_DICOM_STUDY_SERIES',
      ],
      [
        'study-related-instances',
        { ...STUDY, 'study-related-instances': 10 },
        () => study.dir,
        'BERTH_E_DICOM_STUDY_INSTANCES',
      ],
      ['modalities on a study', { ...STUDY, modalities: ['CR'] }, () => study.dir, 'BERTH_E_DICOM_MODALITY'],
      [
        'transfer-syntax-uid on an image',
        { ...IMAGE, 'transfer-syntax-uid': [MPEG2] },
        () => series.files[0]!.path,
        'BERTH_E_DICOM_TRANSFER_SYNTAX',
      ],
      [
        'modalities on an image',
        { ...IMAGE, modalities: ['MR'] },
        () => series.files[0]!.path,
        'BERTH_E_DICOM_MODALITY',
      ],
    ];
    for (const [name, def, dir, code] of cases) {
      it(`${name}: ${code}, not applicable`, async () => {
        const findings = await check(def, dir());
        expect(codes(findings)).to.deep.equal([code]);
        expectNotApplicable(findings);
        expect(findings[0]!.property).to.equal('schema-in/x');
        expect(findings[0]!.expected).to.be.a('string');
      });
    }

    it('only warns of an input in another syntax berth converts to a listed one (run delivers it converted); an output in it is an error', async () => {
      const def = { ...SERIES, 'transfer-syntax-uid': [TS.ImplicitVRLittleEndian] };
      const inputs = await check(def, series.dir);
      expect(inputs.map((f) => [f.code, f.severity])).to.deep.equal([['BERTH_E_DICOM_CONVERTED', 'warning']]);
      expect(inputs[0]!.message).to.include(`delivers it converted to ${TS.ImplicitVRLittleEndian}`);
      const outputs = await check(def, series.dir, 'out');
      expect(codes(outputs)).to.include('BERTH_E_DICOM_TRANSFER_SYNTAX');
    });

    it('groups one problem of many instances into one finding that counts them', async () => {
      const [f] = await check({ ...SERIES, modalities: ['MR'] }, series.dir);
      expect(f!.message).to.match(/Modality is CT in 4 of 4 instances/);
      expect(f!.path).to.equal(series.files[0]!.path);
    });

    it('says which series match no listed count', async () => {
      const [f] = await check({ ...STUDY, 'study-related-series': [3, 3, 2] }, study.dir);
      expect(f!.message).to.include('[3, 3, 3]');
      expect(f!.message).to.include('no series holds 2 instance(s)');
      expect(f!.expected).to.include('in any order');
    });
  });

  describe('broken inputs', () => {
    it('reports every file of the broken corpus in a series with its own code, the good files clean', async () => {
      const dir = fresh('series');
      const good = await writeSeries(dir, { seed: 'good', instances: 3 });
      const broken = await writeBrokenCorpus(dir, 'broken');
      const findings = await check(
        { ...SERIES, 'series-related-instances': 3 + broken.filter((b) => !b.stray).length },
        dir,
      );
      const byFile = new Map(findings.map((f) => [f.path, f.code]));
      for (const b of broken) {
        expect(byFile.get(b.path), b.name).to.equal(b.stray ? 'BERTH_E_DICOM_STRAY_FILE' : b.expected);
      }
      for (const f of good.files) expect(byFile.has(f.path), f.path).to.equal(false);
      expect(findings).to.have.length(broken.length);
      expectBroken(findings);
    });

    it('still reports the state of the other files of a series with one broken file', async () => {
      const dir = fresh('series');
      const s = await writeSeries(dir, { seed: 'partly', instances: 4 });
      await writeFile(s.files[0]!.path, (await readFile(s.files[0]!.path)).subarray(0, 300));
      await rename(s.files[1]!.path, path.join(dir, 'renamed.dcm'));
      const findings = await check({ ...SERIES, modalities: ['MR'], 'series-related-instances': 4 }, dir);
      expect(codes(findings)).to.deep.equal([
        'BERTH_E_DICOM_FILE_NAME',
        'BERTH_E_DICOM_MODALITY',
        'BERTH_E_TRUNCATED',
      ]);
      expect(findings.find((f) => f.code === 'BERTH_E_DICOM_MODALITY')!.message).to.include(
        'in 3 of 3 instances',
      );
      expect(findings.find((f) => f.code === 'BERTH_E_TRUNCATED')!.path).to.equal(s.files[0]!.path);
    });

    it('reports zero-byte and non-DICOM files in a series folder as strays', async () => {
      const dir = fresh('series');
      await writeSeries(dir, { seed: 'strays', instances: 2 });
      const empty = await put(dir, 'empty.dcm', '');
      const readme = await put(dir, 'README', 'hello\n');
      const store = await put(dir, '.DS_Store', Buffer.alloc(64, 1));
      const findings = await check(SERIES, dir);
      expect(findings.map((f) => [f.code, f.path])).to.have.deep.members([
        ['BERTH_E_DICOM_STRAY_FILE', empty],
        ['BERTH_E_DICOM_STRAY_FILE', readme],
        ['BERTH_E_DICOM_STRAY_FILE', store],
      ]);
      expectBroken(findings);
    });

    it('reports a file not named <SOPInstanceUID>.dcm', async () => {
      const dir = fresh('series');
      const s = await writeSeries(dir, { seed: 'names', instances: 2 });
      await rename(s.files[0]!.path, path.join(dir, 'slice-1.dcm'));
      await rename(s.files[1]!.path, path.join(dir, s.files[1]!.sopInstanceUid));
      const findings = await check(SERIES, dir);
      expect(codes(findings)).to.deep.equal(['BERTH_E_DICOM_FILE_NAME', 'BERTH_E_DICOM_FILE_NAME']);
      expect(findings.map((f) => f.expected)).to.have.members(s.files.map((f) => `${f.sopInstanceUid}.dcm`));
      expectBroken(findings);
    });

    it('reports a study series folder not named by its SeriesInstanceUID, once per folder', async () => {
      const study = await writeStudy(fresh('study'), { seed: 'folders', series: 2, instances: 3 });
      const wrong = path.join(study.dir, 'series-1');
      await rename(study.series[0]!.dir, wrong);
      const findings = await check(STUDY, study.dir);
      expect(codes(findings)).to.deep.equal(['BERTH_E_DICOM_SERIES_FOLDER']);
      expect(findings[0]!.path).to.equal(wrong);
      expect(findings[0]!.message).to.include('3 instance(s)');
      expectBroken(findings);
    });

    it('reports two series in one series folder', async () => {
      const dir = fresh('series');
      await writeSeries(dir, { seed: 'one', instances: 2 });
      await writeSeries(dir, { seed: 'two', instances: 1 });
      const findings = await check(SERIES, dir);
      // Two seeds, two studies too.
      expect(codes(findings)).to.deep.equal(['BERTH_E_DICOM_MIXED_SERIES', 'BERTH_E_DICOM_MIXED_STUDY']);
      expect(findings[0]!.path).to.equal(dir);
      expectBroken(findings);
    });

    it('reports a series with two studies or two frames of reference', async () => {
      const dir = fresh('series');
      const spec = { seed: 'mixed', instances: 3 };
      const s = await writeSeries(dir, spec);
      const other = editedInstance(spec, 1, { StudyInstanceUID: '1.2.3.4.5' });
      await writeFile(s.files[1]!.path, other.bytes);
      const frame = editedInstance(spec, 2, { FrameOfReferenceUID: '1.2.3.4.6' });
      await writeFile(s.files[2]!.path, frame.bytes);
      const findings = await check(SERIES, dir);
      expect(codes(findings)).to.deep.equal([
        'BERTH_E_DICOM_MIXED_FRAME_OF_REFERENCE',
        'BERTH_E_DICOM_MIXED_STUDY',
      ]);
      expectBroken(findings);
    });

    it('reports a duplicate SOP instance, across the series of a study too', async () => {
      const dir = fresh('series');
      const s = await writeSeries(dir, { seed: 'dup', instances: 2 });
      await copyFile(s.files[0]!.path, path.join(dir, 'copy.dcm'));
      const findings = await check({ ...SERIES, 'series-related-instances': 2 }, dir);
      expect(codes(findings)).to.deep.equal(['BERTH_E_DUPLICATE_INSTANCE']);
      expectBroken(findings);

      const study = await writeStudy(fresh('study'), { seed: 'dup', series: 2, instances: 2 });
      const from = study.series[0]!.files[0]!;
      await copyFile(from.path, path.join(study.series[1]!.dir, path.basename(from.path)));
      const inStudy = await check(STUDY, study.dir);
      expect(codes(inStudy)).to.include('BERTH_E_DUPLICATE_INSTANCE');
      expectBroken(inStudy);
    });

    it('reports sub-folders of a series, files beside the series of a study, empty folders', async () => {
      const dir = fresh('series');
      await writeSeries(path.join(dir, 'nested'), { seed: 'nested', instances: 1 });
      await writeSeries(dir, { seed: 'nested', instances: 1 });
      const findings = await check(SERIES, dir);
      expect(codes(findings)).to.deep.equal(['BERTH_E_DICOM_LAYOUT']);
      expect(findings[0]!.path).to.equal(path.join(dir, 'nested'));

      const study = await writeStudy(fresh('study'), { seed: 'beside', series: 1, instances: 2 });
      const loose = study.series[0]!.files[0]!;
      await rename(loose.path, path.join(study.dir, path.basename(loose.path)));
      await mkdir(path.join(study.dir, study.series[0]!.seriesInstanceUid, 'deeper'));
      const inStudy = await check(STUDY, study.dir);
      expect(codes(inStudy)).to.deep.equal(['BERTH_E_DICOM_LAYOUT', 'BERTH_E_DICOM_LAYOUT']);

      const empty = fresh('empty');
      await mkdir(empty);
      expect(codes(await check(SERIES, empty))).to.deep.equal(['BERTH_E_DICOM_EMPTY']);
      expect(codes(await check(STUDY, empty))).to.deep.equal(['BERTH_E_DICOM_EMPTY']);
    });

    it('reports a symlink out of the series and a leftover temporary file, never following them', async () => {
      const dir = fresh('series');
      const s = await writeSeries(dir, { seed: 'links', instances: 1 });
      const outside = await writeSeries(fresh('outside'), { seed: 'outside', instances: 1 });
      await symlink(outside.files[0]!.path, path.join(dir, `${outside.files[0]!.sopInstanceUid}.dcm`));
      // What a killed write leaves: the start of a file under a temporary name.
      await writeFile(
        path.join(dir, '.berth-tmp-x.dcm.1.abc'),
        (await readFile(s.files[0]!.path)).subarray(0, 200),
      );
      const findings = await check(SERIES, dir);
      expect(codes(findings)).to.deep.equal(['BERTH_E_TREE_PARTIAL_WRITE', 'BERTH_E_TREE_SYMLINK']);
    });

    it('reports a broken image file with its scan code', async () => {
      const dir = fresh('corpus');
      const broken = await writeBrokenCorpus(dir, 'img');
      for (const b of broken) {
        const findings = await check(IMAGE, b.path);
        expect(codes(findings), b.name).to.deep.equal([b.expected]);
        expectBroken(findings);
      }
    });
  });

  describe('outputs', () => {
    let input: Awaited<ReturnType<typeof writeStudy>>;
    let inputRoot: string;
    const schemaIn = { study: STUDY };
    before(async () => {
      inputRoot = fresh('in');
      input = await writeStudy(path.join(inputRoot, 'study'), { seed: 'input', series: 2, instances: 2 });
    });

    async function checkOut(schemaOut: object, outRoot: string): Promise<Finding[]> {
      const def = definition(schemaIn, schemaOut);
      return checkTree(def, 'out', outRoot, {
        inputs: { root: inputRoot, properties: def.inputs },
      });
    }

    it('collects the input UIDs through objects and arrays', async () => {
      const root = fresh('nested-in');
      const a = await writeSeries(path.join(root, 'scans', '0', 'ct'), { seed: 'n0', instances: 1 });
      const b = await writeSeries(path.join(root, 'scans', '1', 'ct'), { seed: 'n1', instances: 1 });
      const def = definition({
        scans: { type: 'array', items: { type: 'object', properties: { ct: SERIES } } },
      });
      const uids = await inputUidSource(root, def.inputs)();
      expect([...uids.series].sort()).to.deep.equal([a.seriesInstanceUid, b.seriesInstanceUid].sort());
      expect(uids.sop.size).to.equal(2);
    });

    it('accepts any file names in a series output and any layout in a study output', async () => {
      const root = fresh('out');
      const spec = { seed: 'derived', studyInstanceUid: input.studyInstanceUid, instances: 2 };
      const s = await writeSeries(path.join(root, 'seg'), spec);
      await rename(s.files[0]!.path, path.join(root, 'seg', 'mask-1'));
      await rename(s.files[1]!.path, path.join(root, 'seg', 'mask-2.dcm'));
      const study = await writeStudy(path.join(root, 'results', 'a', 'b'), {
        ...spec,
        seed: 'derived-study',
        series: 2,
      });
      await rename(study.series[0]!.files[0]!.path, path.join(root, 'results', 'loose-file'));
      const findings = await checkOut({ seg: SERIES, results: STUDY }, root);
      expect(findings).to.deep.equal([]);
      // The same layout as an input breaks the naming rules.
      expect(codes(await check(SERIES, path.join(root, 'seg')))).to.deep.equal([
        'BERTH_E_DICOM_FILE_NAME',
        'BERTH_E_DICOM_FILE_NAME',
      ]);
    });

    it('still refuses a sub-folder in a series output and two series in it', async () => {
      const root = fresh('out');
      const spec = { studyInstanceUid: input.studyInstanceUid, instances: 1 };
      await writeSeries(path.join(root, 'seg', 'sub'), { ...spec, seed: 'x1' });
      await writeSeries(path.join(root, 'seg'), { ...spec, seed: 'x2' });
      await writeSeries(path.join(root, 'seg'), { ...spec, seed: 'x3' });
      expect(codes(await checkOut({ seg: SERIES }, root))).to.deep.equal([
        'BERTH_E_DICOM_LAYOUT',
        'BERTH_E_DICOM_MIXED_SERIES',
      ]);
    });

    it('reports reused input SOP and series UIDs', async () => {
      const root = fresh('out');
      const from = input.series[0]!;
      await mkdir(path.join(root, 'seg'), { recursive: true });
      for (const f of from.files) await copyFile(f.path, path.join(root, 'seg', path.basename(f.path)));
      const findings = await checkOut({ seg: SERIES }, root);
      expect(codes(findings)).to.deep.equal([
        'BERTH_E_DICOM_REUSED_SERIES_UID',
        'BERTH_E_DICOM_REUSED_SOP_UID',
      ]);
      expect(findings.find((f) => f.code === 'BERTH_E_DICOM_REUSED_SOP_UID')!.message).to.include(
        'in 2 of 2',
      );
      expectBroken(findings);
      // Each finding teaches the platform's rule (EnvoyAI FAQ) rather than only naming the UID.
      for (const f of findings) {
        expect(f.severity).to.equal('error');
        expect(f.message).to.include(
          "the EnvoyAI platform requires derived instances to keep the input study's StudyInstanceUID, share one new SeriesInstanceUID, and each have a new unique SOPInstanceUID",
        );
      }
    });

    it('reports an output outside the input study, but not when there are no DICOM inputs', async () => {
      const root = fresh('out');
      await writeSeries(path.join(root, 'seg'), { seed: 'elsewhere', instances: 2 });
      const outside = await checkOut({ seg: SERIES }, root);
      expect(codes(outside)).to.deep.equal(['BERTH_E_DICOM_STUDY_NOT_KEPT']);
      expect(outside[0]!.message).to.include(
        "the EnvoyAI platform requires derived instances to keep the input study's",
      );
      const noDicomIn = definition({ n: { type: 'integer' } }, { seg: SERIES });
      const findings = await checkTree(noDicomIn, 'out', root, {
        inputs: { root: inputRoot, properties: noDicomIn.inputs },
      });
      expect(findings).to.deep.equal([]);
    });

    it('checks an output image and a series against the output transfer-syntax-uid', async () => {
      const root = fresh('out');
      const spec = {
        studyInstanceUid: input.studyInstanceUid,
        instances: 2,
        transferSyntaxUid: TS.ImplicitVRLittleEndian,
      };
      await writeSeries(path.join(root, 'seg'), { ...spec, seed: 'ts1' });
      const img = await writeSeries(fresh('img'), { ...spec, seed: 'ts2', instances: 1 });
      await copyFile(img.files[0]!.path, path.join(root, 'img'));
      const schemaOut = {
        seg: { ...SERIES, 'transfer-syntax-uid': [TS.ExplicitVRLittleEndian] },
        img: { ...IMAGE, 'transfer-syntax-uid': TS.ExplicitVRLittleEndian },
      };
      const findings = await checkOut(schemaOut, root);
      expect(
        findings.map((f) => [f.code, path.relative(root, f.path!).split(path.sep)[0]]),
      ).to.have.deep.members([
        ['BERTH_E_DICOM_TRANSFER_SYNTAX', 'seg'],
        ['BERTH_E_DICOM_TRANSFER_SYNTAX', 'img'],
      ]);
    });
  });

  describe('checkTree asks the DICOM kinds, with no option', () => {
    it('checks DICOM properties anywhere in a tree: top level, in objects, in arrays', async () => {
      const root = fresh('tree');
      const s = await writeSeries(path.join(root, 'ct'), { seed: 't', instances: 2 });
      await mkdir(path.join(root, 'views'));
      await copyFile(s.files[0]!.path, path.join(root, 'views', '0'));
      await writeFile(path.join(root, 'views', '1'), 'not dicom');
      const def = definition({
        ct: { ...SERIES, modalities: ['CT'] },
        views: { type: 'array', items: IMAGE },
      });
      const findings = await checkTree(def, 'in', root);
      expect(findings.map((f) => [f.code, path.relative(root, f.path!)])).to.deep.equal([
        ['BERTH_E_NOT_PART10', path.join('views', '1')],
      ]);
    });

    it('validates a 2,000-instance study', async () => {
      const dir = fresh('big');
      await writeStudy(path.join(dir, 'study'), {
        seed: 'big',
        series: 4,
        instances: 500,
        rows: 8,
        columns: 8,
      });
      const def = definition({
        study: { ...STUDY, 'study-related-instances': 2000, 'study-related-series': [500, 500, 500, 500] },
      });
      const findings = await checkTree(def, 'in', dir);
      expect(findings).to.deep.equal([]);
      expect(await readdir(path.join(dir, 'study'))).to.have.length(4);
    });
  });
});
