import { expect } from 'chai';
import { mkdir, readFile, readdir, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scanHeader } from '../../src/dicom/scan.js';
import { synthSeries, writeSeries, writeStudy, type SeriesSpec } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write.js';
import { isBerthError } from '../../src/errors.js';
import { DicomImage, DicomSeries, DicomStudy } from '../../src/sdk/dicom.js';
import { openMachine, type Machine } from '../../src/sdk/machine.js';
import { editedInstance } from '../support/dicom-fixtures.js';
import { codeOfAsync } from '../support/codes.js';
import { removeDir, tempDir } from '../support/temp.js';

/** The instances of a synthetic series as Part 10 bytes. */
function instanceBytes(spec: SeriesSpec, transferSyntaxUid: string = TS.ExplicitVRLittleEndian): Buffer[] {
  return synthSeries(spec).map((i) => encodePart10(i.elements, { transferSyntaxUid }));
}

describe('sdk/dicom: DICOM inputs and outputs', () => {
  let tmp: string;
  let n = 0;
  before(async () => {
    tmp = await realpath(await tempDir('sdk-dicom'));
  });
  after(() => removeDir(tmp));

  /** A machine over a fresh input and output tree. */
  async function machine(
    schemaIn: object,
    schemaOut: object,
    fill: (input: string) => Promise<void>,
  ): Promise<Machine & { input: string; output: string }> {
    const dir = path.join(tmp, `m${n++}`);
    const input = path.join(dir, 'in');
    const output = path.join(dir, 'out');
    await mkdir(input, { recursive: true });
    await fill(input);
    const manifest = path.join(dir, 'machine.json');
    await writeFile(
      manifest,
      JSON.stringify({
        'metadata-version': 2,
        info: { name: 'dicom' },
        'schema-in': schemaIn,
        'schema-out': schemaOut,
      }),
    );
    const m = await openMachine({
      manifest,
      input,
      output,
      status: path.join(dir, 'status'),
      captureErrors: false,
    });
    return Object.assign(m, { input, output });
  }

  describe('readers', () => {
    const spec: SeriesSpec = { seed: 'read', instances: 5, instanceNumberOrder: 'descending' };
    let m: Awaited<ReturnType<typeof machine>>;
    let ct: Awaited<ReturnType<typeof writeSeries>>;
    let be: Awaited<ReturnType<typeof writeSeries>>;
    let study: Awaited<ReturnType<typeof writeStudy>>;
    before(async () => {
      m = await machine(
        {
          ct: { 'dicom-type': 'dicom-series' },
          be: { 'dicom-type': 'dicom-series' },
          study: { 'dicom-type': 'dicom-study' },
          img: { 'dicom-type': 'dicom-image' },
        },
        {},
        async (input) => {
          ct = await writeSeries(path.join(input, 'ct'), spec);
          be = await writeSeries(path.join(input, 'be'), {
            ...spec,
            transferSyntaxUid: TS.ExplicitVRBigEndian,
          });
          study = await writeStudy(path.join(input, 'study'), {
            seed: 'read',
            series: ['CT', 'MR'],
            instances: 4,
          });
          await writeFile(path.join(input, 'img'), await readFile(ct.files[2]!.path));
        },
      );
    });

    it('reads a series with its instances in geometric order', async () => {
      const series = await m.inputs.dicomSeries('ct');
      expect(series).to.be.instanceOf(DicomSeries);
      expect(series.size).to.equal(5);
      expect(series.seriesInstanceUid).to.equal(ct.seriesInstanceUid);
      expect(series.studyInstanceUid).to.equal(ct.studyInstanceUid);
      expect(series.modality).to.equal('CT');
      // Written bottom to top with descending InstanceNumbers: geometry wins.
      expect(series.instances.map((i) => i.sopInstanceUid)).to.deep.equal(
        ct.files.map((f) => f.sopInstanceUid),
      );
      expect([...series].map((i) => i.header.InstanceNumber)).to.deep.equal([5, 4, 3, 2, 1]);
      expect(series.instances[0]!.get('PatientName')).to.be.a('string');
    });

    it('gives native pixels as signed 16-bit values, big endian swapped', async () => {
      const expected = synthSeries(spec).map((i) => i.pixels as Int16Array);
      for (const name of ['ct', 'be'] as const) {
        const series = await m.inputs.dicomSeries(name);
        for (const [i, inst] of series.instances.entries()) {
          const px = await inst.pixels();
          expect(px.kind).to.equal('native');
          if (px.kind !== 'native') continue;
          expect(px.data).to.be.instanceOf(Int16Array);
          expect([px.rows, px.columns, px.frames]).to.deep.equal([64, 64, 1]);
          expect(
            Buffer.from(px.data.buffer).equals(Buffer.from(expected[i]!.buffer)),
            `${name} ${i}`,
          ).to.equal(true);
        }
      }
      expect(be.transferSyntaxUid).to.equal(TS.ExplicitVRBigEndian);
    });

    it('gives encapsulated pixels as compressed frames when asked not to decode, and refuses a corrupt codestream', async () => {
      const [inst] = synthSeries({ seed: 'jpeg', instances: 1, modality: 'OT', rows: 8, columns: 8 });
      const fragment = new Uint8Array([0xff, 0xd8, 1, 2, 3, 4, 0xff, 0xd9]);
      const elements = inst!.elements.map((e) =>
        e.tag === 0x7fe00010
          ? {
              ...e,
              vr: 'OB' as const,
              value: { encapsulated: true as const, fragments: [fragment], offsetTable: [] },
            }
          : e,
      );
      const file = path.join(tmp, 'jpeg.dcm');
      await writeFile(file, encodePart10(elements, { transferSyntaxUid: TS.JPEGBaseline8Bit }));
      const { readDicomImage } = await import('../../src/sdk/dicom.js');
      const image = await readDicomImage(file);
      expect(await codeOfAsync(image.pixels())).to.equal('BERTH_E_DICOM_PARSE');
      const px = await image.pixels({ decode: false });
      expect(px.kind).to.equal('encapsulated');
      if (px.kind !== 'encapsulated') return;
      expect(px.transferSyntaxUid).to.equal(TS.JPEGBaseline8Bit);
      expect(px.frames.map((f) => [...f])).to.deep.equal([[...fragment]]);
    });

    it('reads a study as series keyed by SeriesInstanceUID, each sorted', async () => {
      const s = await m.inputs.dicomStudy('study');
      expect(s).to.be.instanceOf(DicomStudy);
      expect(s.studyInstanceUid).to.equal(study.studyInstanceUid);
      expect([...s.series.keys()].sort()).to.deep.equal(study.series.map((x) => x.seriesInstanceUid).sort());
      for (const written of study.series) {
        const series = s.series.get(written.seriesInstanceUid)!;
        expect(series.instances.map((i) => i.sopInstanceUid)).to.deep.equal(
          written.files.map((f) => f.sopInstanceUid),
        );
        expect(series.dir).to.equal(written.dir);
      }
      expect(s.instances()).to.have.length(8);
      expect(new Set(s.instances().map((i) => i.modality))).to.deep.equal(new Set(['CT', 'MR']));
    });

    it('reads an image, and DICOM through get() and read()', async () => {
      const img = await m.inputs.dicomImage('img');
      expect(img).to.be.instanceOf(DicomImage);
      expect(img.sopInstanceUid).to.equal(ct.files[2]!.sopInstanceUid);
      expect(img.transferSyntaxUid).to.equal(TS.ExplicitVRLittleEndian);
      const px = await img.pixels();
      expect(px.kind === 'native' && px.data.length).to.equal(64 * 64);
      expect((await img.bytes()).length).to.equal((await stat(img.path)).size);
      expect(await m.inputs.get('ct')).to.be.instanceOf(DicomSeries);
      const all = await m.inputs.read();
      expect(all['study']).to.be.instanceOf(DicomStudy);
      expect(all['img']).to.be.instanceOf(DicomImage);
    });

    it('refuses a typed accessor of another kind', async () => {
      expect(await codeOfAsync(m.inputs.dicomSeries('img'))).to.equal('BERTH_E_VALUE_TYPE');
      expect(await codeOfAsync(m.inputs.dicomImage('ct'))).to.equal('BERTH_E_VALUE_TYPE');
      expect(await codeOfAsync(m.inputs.dicomStudy('be'))).to.equal('BERTH_E_VALUE_TYPE');
    });

    it('throws for broken files and mixed series, leaves non-DICOM files out', async () => {
      const m2 = await machine({ ct: { 'dicom-type': 'dicom-series' } }, {}, async (input) => {
        await writeSeries(path.join(input, 'ct'), { seed: 'strays', instances: 2 });
        await writeFile(path.join(input, 'ct', 'README'), 'hello\n');
        await writeFile(path.join(input, 'ct', '.DS_Store'), Buffer.alloc(32));
      });
      expect((await m2.inputs.dicomSeries('ct')).size).to.equal(2);
      const dir = path.join(m2.input, 'ct');
      const first = (await readdir(dir)).find((f) => f.endsWith('.dcm'));
      await writeFile(path.join(dir, 'cut.dcm'), (await readFile(path.join(dir, first!))).subarray(0, 400));
      expect(await codeOfAsync(m2.inputs.dicomSeries('ct'))).to.equal('BERTH_E_TRUNCATED');
      await writeFile(path.join(dir, 'cut.dcm'), Buffer.alloc(0));
      await writeSeries(dir, { seed: 'other-series', instances: 1 });
      expect(await codeOfAsync(m2.inputs.dicomSeries('ct'))).to.equal('BERTH_E_DICOM_MIXED_STUDY');
    });
  });

  describe('writers', () => {
    const schemaIn = { ct: { 'dicom-type': 'dicom-series' } };
    const schemaOut = {
      seg: {
        'dicom-type': 'dicom-series',
        'transfer-syntax-uid': [TS.ExplicitVRLittleEndian],
        nullable: true,
      },
      results: { 'dicom-type': 'dicom-study', nullable: true },
      key: { 'dicom-type': 'dicom-image', nullable: true },
    };
    let input: Awaited<ReturnType<typeof writeSeries>>;
    let m: Awaited<ReturnType<typeof machine>>;
    /** Output instances: new UIDs, the input's study. */
    const derived = (seed: string, instances = 3): SeriesSpec => ({
      seed,
      instances,
      studyInstanceUid: input.studyInstanceUid,
    });
    beforeEach(async () => {
      m = await machine(schemaIn, schemaOut, async (dir) => {
        input = await writeSeries(path.join(dir, 'ct'), { seed: 'writer-input', instances: 3 });
      });
    });
    afterEach(() => {
      process.exitCode = undefined;
    });

    it('stores series instances by SOPInstanceUID, from bytes and from paths', async () => {
      const bytes = instanceBytes(derived('seg'));
      const seg = m.outputs.dicomSeries('seg');
      const a = await seg.add(bytes[0]!);
      const file = path.join(tmp, `source-${n++}.dcm`);
      await writeFile(file, bytes[1]!);
      const b = await seg.add(file);
      const c = await seg.add({ path: file.replace(/\.dcm$/, '') + '.dcm' }).catch((e: unknown) => e);
      expect(isBerthError(c) && c.code).to.equal('BERTH_E_DUPLICATE_INSTANCE');
      await seg.add(bytes[2]!);
      expect(a.path).to.equal(path.join(m.output, 'seg', `${a.sopInstanceUid}.dcm`));
      expect(b.seriesInstanceUid).to.equal(a.seriesInstanceUid);
      const names = (await readdir(path.join(m.output, 'seg'))).sort();
      const sops = synthSeries(derived('seg')).map((i) => `${i.sopInstanceUid}.dcm`);
      expect(names).to.deep.equal(sops.sort());
      expect(await readFile(a.path)).to.deep.equal(bytes[0]);
      expect(await m.finish()).to.deep.equal([]);
    });

    it('stores an instance whose file meta disagrees with its data set with the meta repaired', async () => {
      const [inst] = synthSeries(derived('meta', 1));
      const bytes = encodePart10(inst!.elements, {
        transferSyntaxUid: TS.ExplicitVRLittleEndian,
        meta: { MediaStorageSOPInstanceUID: '1.2.3.4', MediaStorageSOPClassUID: null },
      });
      const stored = await m.outputs.dicomSeries('seg').add(bytes);
      const h = await scanHeader(stored.path);
      expect(h.warnings).to.deep.equal([]);
      expect([h.MediaStorageSOPInstanceUID, h.MediaStorageSOPClassUID]).to.deep.equal([
        inst!.sopInstanceUid,
        h.SOPClassUID,
      ]);
    });

    it('refuses duplicates, a second series, non-Part-10 data and a wrong transfer syntax, writing nothing', async () => {
      const seg = m.outputs.dicomSeries('seg');
      const [first] = instanceBytes(derived('seg'));
      await seg.add(first!);
      expect(await codeOfAsync(seg.add(first!))).to.equal('BERTH_E_DUPLICATE_INSTANCE');
      expect(await codeOfAsync(m.outputs.dicomSeries('seg').add(first!))).to.equal(
        'BERTH_E_DUPLICATE_INSTANCE',
      );
      expect(await codeOfAsync(seg.add(instanceBytes(derived('another'))[0]!))).to.equal(
        'BERTH_E_DICOM_MIXED_SERIES',
      );
      expect(await codeOfAsync(seg.add(Buffer.from('not dicom at all')))).to.equal('BERTH_E_NOT_PART10');
      expect(await codeOfAsync(seg.add(Buffer.alloc(0)))).to.equal('BERTH_E_NOT_PART10');
      const implicit = instanceBytes(derived('seg'), TS.ImplicitVRLittleEndian)[1]!;
      expect(await codeOfAsync(seg.add(implicit))).to.equal('BERTH_E_DICOM_TRANSFER_SYNTAX');
      expect(await codeOfAsync(seg.add(path.join(tmp, 'no-such-file.dcm')))).to.equal('BERTH_E_NOT_FOUND');
      expect(await readdir(path.join(m.output, 'seg'))).to.have.length(1);
    });

    it('refuses reused input UIDs and a study other than the input study', async () => {
      const seg = m.outputs.dicomSeries('seg');
      expect(await codeOfAsync(seg.add(input.files[0]!.path))).to.equal('BERTH_E_DICOM_REUSED_SOP_UID');
      const sameSeries = editedInstance({ seed: 'writer-input', instances: 3 }, 0, {
        SOPInstanceUID: '1.2.3.4.99',
      });
      const sameSeriesFile = await (async () => {
        const f = path.join(tmp, `same-series-${n++}.dcm`);
        await writeFile(f, sameSeries.bytes);
        return f;
      })();
      // MediaStorageSOPInstanceUID follows the edited SOPInstanceUID (encodePart10 takes it from the data set).
      expect(await codeOfAsync(seg.add(sameSeriesFile))).to.equal('BERTH_E_DICOM_REUSED_SERIES_UID');
      expect(await codeOfAsync(seg.add(instanceBytes({ seed: 'elsewhere' })[0]!))).to.equal(
        'BERTH_E_DICOM_STUDY_NOT_KEPT',
      );
    });

    it('stores study instances as <SeriesInstanceUID>/<SOPInstanceUID>.dcm and keeps one study', async () => {
      const results = m.outputs.dicomStudy('results');
      const one = instanceBytes({ ...derived('r1', 2), seriesIndex: 0 });
      const two = instanceBytes({ ...derived('r1', 2), seriesIndex: 1 });
      const added = await Promise.all([...one, ...two].map((b) => results.add(b)));
      const layout = added.map((w) => path.relative(path.join(m.output, 'results'), w.path)).sort();
      expect(layout).to.deep.equal(
        added.map((w) => path.join(w.seriesInstanceUid, `${w.sopInstanceUid}.dcm`)).sort(),
      );
      expect(new Set(added.map((w) => w.seriesInstanceUid)).size).to.equal(2);
      const otherStudy = editedInstance(derived('r2', 1), 0, {
        StudyInstanceUID: `${input.studyInstanceUid}.1`,
      });
      const mk = new (await import('../../src/sdk/dicom-writer.js')).DicomOutputs();
      expect(
        await codeOfAsync(mk.add(m.manifest.outputs[1]!, path.join(m.output, 'results'), otherStudy.bytes)),
      ).to.equal('BERTH_E_DICOM_MIXED_STUDY');
      expect(await m.finish()).to.deep.equal([]);
    });

    it('refuses UIDs that would escape the folder as names', async () => {
      for (const uid of ['../x', 'a/b']) {
        const bad = editedInstance(derived('escape', 1), 0, { SOPInstanceUID: uid });
        expect(await codeOfAsync(m.outputs.dicomSeries('seg').add(bad.bytes)), uid).to.equal(
          'BERTH_E_PROPERTY_NAME',
        );
      }
      const badSeries = editedInstance(derived('escape', 1), 0, { SeriesInstanceUID: '..' });
      expect(await codeOfAsync(m.outputs.dicomStudy('results').add(badSeries.bytes))).to.equal(
        'BERTH_E_PROPERTY_NAME',
      );
      expect(await readdir(m.output)).to.deep.equal([]);
    });

    it('writes a series with set(), all checked first, replacing what was there', async () => {
      const bytes = instanceBytes(derived('set', 3));
      await m.outputs.set('seg', bytes);
      const dir = path.join(m.output, 'seg');
      expect(await readdir(dir)).to.have.length(3);
      const bad = [...instanceBytes(derived('set2', 2)), Buffer.from('junk')];
      expect(await codeOfAsync(m.outputs.set('seg', bad))).to.equal('BERTH_E_NOT_PART10');
      expect(await readdir(dir)).to.have.length(3);
      const file = path.join(tmp, `set-${n++}.dcm`);
      const two = instanceBytes(derived('set2', 2));
      await writeFile(file, two[0]!);
      await m.outputs.set('seg', [file, two[1]!]);
      expect((await readdir(dir)).sort()).to.deep.equal(
        synthSeries(derived('set2', 2))
          .map((i) => `${i.sopInstanceUid}.dcm`)
          .sort(),
      );
      // The writer's state follows set(): the replaced series is gone, the new one is bound.
      expect(await codeOfAsync(m.outputs.dicomSeries('seg').add(bytes[0]!))).to.equal(
        'BERTH_E_DICOM_MIXED_SERIES',
      );
      expect(await codeOfAsync(m.outputs.set('seg', [two[0]!, two[0]!]))).to.equal(
        'BERTH_E_DUPLICATE_INSTANCE',
      );
      expect(await codeOfAsync(m.outputs.set('seg', two[0]! as unknown as never))).to.equal(
        'BERTH_E_VALUE_TYPE',
      );
      expect(await m.finish()).to.deep.equal([]);
    });

    it('writes an image output, and set() of a study', async () => {
      const [img] = instanceBytes(derived('img', 1));
      const w = await m.outputs.dicomImage('key', img!);
      expect(w.path).to.equal(path.join(m.output, 'key'));
      expect(await codeOfAsync(() => m.outputs.dicomImage('seg' as 'key', img!))).to.equal(
        'BERTH_E_VALUE_TYPE',
      );
      await m.outputs.set('results', [
        ...instanceBytes({ ...derived('sr', 1), seriesIndex: 0 }),
        ...instanceBytes({ ...derived('sr', 1), seriesIndex: 1 }),
      ]);
      expect(await readdir(path.join(m.output, 'results'))).to.have.length(2);
    });

    it('finish() reports what the writers cannot know: counts, and files written around them', async () => {
      const m2 = await machine(
        schemaIn,
        { seg: { 'dicom-type': 'dicom-series', 'series-related-instances': 3 } },
        async (dir) => {
          await writeSeries(path.join(dir, 'ct'), { seed: 'writer-input', instances: 3 });
        },
      );
      await m2.outputs.dicomSeries('seg').add(instanceBytes(derived('few', 2))[0]!);
      await writeFile(path.join(m2.output, 'seg', 'copied.dcm'), await readFile(input.files[0]!.path));
      const findings = await m2.finish();
      expect(findings.map((f) => f.code).sort()).to.deep.equal([
        'BERTH_E_DICOM_MIXED_SERIES',
        'BERTH_E_DICOM_REUSED_SERIES_UID',
        'BERTH_E_DICOM_REUSED_SOP_UID',
        'BERTH_E_DICOM_SERIES_INSTANCES',
      ]);
      // 11: the exit of the invalid-output outcome, so the harness lists these, not a machine error.
      expect(process.exitCode).to.equal(11);
    });

    it('serialises concurrent adds to one folder', async () => {
      const seg = m.outputs.dicomSeries('seg');
      const bytes = instanceBytes(derived('many', 12));
      const results = await Promise.allSettled([...bytes, bytes[0]!].map((b) => seg.add(b)));
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(12);
      expect(results.filter((r) => r.status === 'rejected')).to.have.length(1);
      expect(await readdir(path.join(m.output, 'seg'))).to.have.length(12);
    });
  });
});
