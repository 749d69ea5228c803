/**
 * A folder of berth cases served to an EIR 0.23.0-like client: the dataset info derived from the
 * manifest, every sample decoded the way EIR decodes it and compared with the case's own files,
 * and the start-up refusals.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { isBerthError, type Finding } from '../../../src/errors.js';
import { readNpy } from '../../../src/ndarray/npy.js';
import { ndarray, type NdArray } from '../../../src/ndarray/ndarray.js';
import {
  EirDatasetError,
  caseDataset,
  checkSampleValues,
  inspectCaseDataset,
  toWireSample,
} from '../../../src/serve/eir/index.js';
import type { EirSample } from '../../../src/serve/eir/index.js';
import { float32Base64, omicsBase64, tabularCell } from '../../../src/serve/eir/encode.js';
import { Outputs } from '../../../src/sdk/outputs.js';
import { decodeEirSample, runEirSession } from '../../support/eir-client.js';
import type { DecodedSample, DecodedValue, JsonObj } from '../../support/eir-client.js';
import {
  MANIFEST,
  MASK,
  PHOTO,
  SCAN,
  caseValues,
  definitionOf,
  rgbPng,
  writeCase,
  writeDataset,
} from '../../support/eir-case.js';
import { FAST, closeAll, serve } from './helpers.js';
import { removeDir, tempDir } from '../../support/temp.js';

const DEF = definitionOf(MANIFEST);

const EXPECTED_INFO = {
  inputs: {
    notes: { type: 'sequence' },
    clinical: { type: 'tabular' },
    volume: { type: 'array', shape: [3, 4] },
    genotype: { type: 'omics', shape: [4, 10] },
    photo: { type: 'image', shape: [PHOTO.height, PHOTO.width, 3] },
    scan: { type: 'image', shape: [SCAN.height, SCAN.width, 3] },
  },
  outputs: {
    scores: { type: 'tabular' },
    heatmap: { type: 'array', shape: [2, 3] },
    mask: { type: 'image', shape: [MASK.height, MASK.width, 4] },
    caption: { type: 'sequence' },
    outcome: { type: 'survival' },
  },
};

function pick<T extends DecodedValue['type']>(
  value: DecodedValue | undefined,
  type: T,
): Extract<DecodedValue, { type: T }> {
  expect(value?.type).to.equal(type);
  return value as Extract<DecodedValue, { type: T }>;
}

function pngPixels(bytes: Buffer): { width: number; height: number; rgba: number[] } {
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, rgba: Array.from(png.data) };
}

/** Every decoded value equals what the case's own files hold (read independently of the server). */
async function expectFaithful(dir: string, decoded: DecodedSample, raw: JsonObj): Promise<void> {
  const id = decoded.sampleId;
  const index = Number(id.slice('case-'.length));
  const v = caseValues(index);
  const input = path.join(dir, id, 'input');
  const expected = path.join(dir, id, 'expected');
  // Exactly EIR's three keys.
  expect(Object.keys(raw).sort()).to.deep.equal(['inputs', 'sample_id', 'target_labels']);

  expect(pick(decoded.inputs['notes'], 'sequence').text).to.equal(v.notes);
  expect(pick(decoded.inputs['clinical'], 'tabular').columns).to.deep.equal({
    age: v.clinical.age,
    sex: v.clinical.sex,
    smoker: v.clinical.smoker ? 'true' : 'false',
    bmi: v.clinical.bmi ?? null,
    ratio: v.clinical.ratio,
  });
  const volume = pick(decoded.inputs['volume'], 'array');
  const volumeNpy = await readNpy(path.join(input, 'volume'));
  expect(volume.shape).to.deep.equal([3, 4]);
  expect(Array.from(volume.data)).to.deep.equal(Array.from(volumeNpy.data as Float32Array));
  expect(Array.from(volume.data)).to.deep.equal(Array.from(v.volume));
  const genotype = pick(decoded.inputs['genotype'], 'omics');
  expect(genotype.shape).to.deep.equal([4, 10]);
  expect(genotype.data).to.deep.equal(Array.from(v.genotype, (b) => b === 1));
  // One byte per bool on the wire, not bit-packed.
  expect(Buffer.from((raw['inputs'] as JsonObj)['genotype'] as string, 'base64')).to.have.length(40);

  const photo = pick(decoded.inputs['photo'], 'image');
  expect(photo.format).to.equal('png');
  const photoFile = pngPixels(await readFile(path.join(input, 'photo')));
  expect([photo.width, photo.height]).to.deep.equal([PHOTO.width, PHOTO.height]);
  expect(Array.from(photo.rgba)).to.deep.equal(photoFile.rgba);
  // PNG inputs travel byte for byte.
  expect((raw['inputs'] as JsonObj)['photo']).to.equal(
    (await readFile(path.join(input, 'photo'))).toString('base64'),
  );

  const scan = pick(decoded.inputs['scan'], 'image');
  expect(scan.format, 'JPEG inputs are sent as PNG').to.equal('png');
  const scanFile = jpeg.decode(await readFile(path.join(input, 'scan')), { useTArray: true });
  expect([scan.width, scan.height]).to.deep.equal([SCAN.width, SCAN.height]);
  expect(Array.from(scan.rgba)).to.deep.equal(Array.from(scanFile.data));

  expect(pick(decoded.targets['scores'], 'tabular').columns).to.deep.equal(v.scores);
  const heatmap = pick(decoded.targets['heatmap'], 'array');
  expect(heatmap.shape).to.deep.equal([2, 3]);
  expect(Array.from(heatmap.data)).to.deep.equal(
    Array.from((await readNpy(path.join(expected, 'heatmap'))).data as Float32Array),
  );
  const mask = pick(decoded.targets['mask'], 'image');
  expect(Array.from(mask.rgba)).to.deep.equal(Array.from(v.mask));
  expect(pick(decoded.targets['caption'], 'sequence').text).to.equal(v.caption);
  expect(pick(decoded.targets['outcome'], 'survival').columns).to.deep.equal({
    Event: v.outcome.event ? '1' : '0',
    Time: v.outcome.time,
  });
  // Nesting as the seed shows: array / image / sequence under their own name again.
  const targets = raw['target_labels'] as JsonObj;
  expect(Object.keys(targets['heatmap'] as JsonObj)).to.deep.equal(['heatmap']);
  expect(Object.keys(targets['mask'] as JsonObj)).to.deep.equal(['mask']);
  expect(targets['caption']).to.deep.equal({ caption: v.caption });
  // The sequence target also goes in as EIR's same-name input (not listed in the info).
  expect((raw['inputs'] as JsonObj)['caption']).to.equal(v.caption);
  expect(decoded.inputs['caption']).to.deep.equal({ type: 'passthrough', value: v.caption });
}

function codes(findings: readonly Finding[], severity: 'error' | 'warning' = 'error'): string[] {
  return [...new Set(findings.filter((f) => f.severity === severity).map((f) => f.code))].sort();
}

async function refusal(promise: Promise<unknown>): Promise<EirDatasetError> {
  try {
    await promise;
  } catch (e) {
    expect(e).to.be.instanceOf(EirDatasetError);
    return e as EirDatasetError;
  }
  throw new Error('expected the dataset to be refused');
}

describe('serve/eir dataset: a folder of berth cases', function () {
  this.timeout(60_000);
  let dir: string | undefined;
  afterEach(async () => {
    await closeAll();
    await removeDir(dir);
    dir = undefined;
  });

  describe('values as EIR decodes them (A.7, A.8)', () => {
    it('encodes the notes’ worked examples byte for byte', () => {
      const f = ndarray('float32', [2, 2], [0.1, 0.2, 0.3, 0.4]);
      expect(float32Base64(f)).to.equal('zczMPc3MTD6amZk+zczMPg==');
      expect(omicsBase64(ndarray('bool', [2, 2], [true, false, false, true]))).to.equal('AQAAAQ==');
    });

    it('converts other real dtypes to float32 as numpy astype does', () => {
      const expectFloats = (arr: NdArray, want: number[]) => {
        const bytes = Buffer.from(float32Base64(arr), 'base64');
        expect(bytes).to.have.length(4 * want.length);
        expect(Array.from({ length: want.length }, (_, i) => bytes.readFloatLE(4 * i))).to.deep.equal(want);
      };
      expectFloats(ndarray('float64', [3], [0.1, -2, 1e40]), [Math.fround(0.1), -2, Infinity]);
      expectFloats(ndarray('int16', [2], [-300, 7]), [-300, 7]);
      expectFloats(ndarray('int64', [2], [2n ** 24n + 1n, -5n]), [2 ** 24, -5]);
      expectFloats(ndarray('uint8', [1, 2], [255, 0]), [255, 0]);
      expectFloats(ndarray('bool', [2], [true, false]), [1, 0]);
      expectFloats(ndarray('float16', [2], [0.5, 65504]), [0.5, 65504]);
    });

    it('writes tabular cells as numbers or categorical strings', () => {
      expect([
        tabularCell(3),
        tabularCell('F'),
        tabularCell(true),
        tabularCell(false),
        tabularCell(undefined),
      ]).to.deep.equal([3, 'F', 'true', 'false', null]);
    });
  });

  describe('the dataset info and samples', () => {
    it('derives the dataset info from the manifest and the images of the cases', async () => {
      ({ dir } = await writeDataset(DEF, 3));
      const dataset = await caseDataset(DEF, dir);
      expect(dataset.info()).to.deep.equal(EXPECTED_INFO);
      expect(dataset.ids()).to.deep.equal(['case-00', 'case-01', 'case-02']);
      expect(dataset.warnings).to.deep.equal([]);
    });

    it('builds samples with only the three keys EIR takes, values in manifest order', async () => {
      ({ dir } = await writeDataset(DEF, 2));
      const dataset = await caseDataset(DEF, dir);
      const sample = await dataset.sample('case-01');
      expect(toWireSample(sample, 'case-01').ok).to.equal(true);
      expect(Object.keys(sample)).to.deep.equal(['inputs', 'target_labels', 'sample_id']);
      expect(Object.keys(sample.inputs)).to.deep.equal([
        'notes',
        'clinical',
        'volume',
        'genotype',
        'photo',
        'scan',
        'caption',
      ]);
      expect(Object.keys(sample.target_labels)).to.deep.equal([
        'scores',
        'heatmap',
        'mask',
        'caption',
        'outcome',
      ]);
      expect(checkSampleValues(dataset.info(), sample)).to.deep.equal([]);
      expect(sample.target_labels['outcome']).to.deep.equal({ Event: '1', Time: 2.5 });
      const custom = await caseDataset(DEF, dir, { survivalColumns: { event: 'Origin', time: 'Height' } });
      expect((await custom.sample('case-00')).target_labels['outcome']).to.deep.equal({
        Origin: '0',
        Height: 1.5,
      });
    });

    it('serves a whole eirtrain session, every sample decoding to the case’s own values', async () => {
      let ids: string[];
      ({ dir, ids } = await writeDataset(DEF, 7));
      const dataset = await caseDataset(DEF, dir);
      const server = await serve({ source: dataset });
      const session = await runEirSession(
        server.url,
        { setupSamples: 7, setupBatchSize: 3, batchSize: 2, validSize: 0.25, epochs: 2 },
        FAST,
      );
      // Setup gathered every case once, in order, after validation consumed one and reset.
      expect(session.setup.samples.map((s) => s['sample_id'])).to.deep.equal(ids);
      expect(session.setup.info).to.deep.equal(EXPECTED_INFO);
      for (const [i, decoded] of session.setup.decoded.entries())
        await expectFaithful(dir, decoded, session.setup.samples[i]!);
      expect(session.validationIds).to.deep.equal(['case-00', 'case-04']);
      for (const epoch of session.epochs) {
        expect(epoch.end).to.equal('terminate');
        expect(epoch.errors).to.deep.equal([]);
        const seen = epoch.samples.map((s) => String(s['sample_id']));
        // The validation step ate case-01 (case-00 is a validation id), then the reset rewound.
        expect(seen).to.deep.equal(ids.filter((id) => !session.validationIds.includes(id)));
        for (const raw of epoch.samples) {
          await expectFaithful(dir, decodeEirSample(session.setup.info, raw), raw);
        }
      }
      expect(session.statusEnd).to.include({ total: 7 });
    });

    it('accepts output/ instead of expected/, and ignores files and hidden folders', async () => {
      dir = await tempDir();
      await writeCase(DEF, dir, 'a', 0, 'output');
      await writeCase(DEF, dir, 'b', 1);
      await mkdir(path.join(dir, '.cache'));
      await writeFile(path.join(dir, 'machine.yaml'), 'x');
      const dataset = await caseDataset(DEF, dir);
      expect(dataset.ids()).to.deep.equal(['a', 'b']);
      expect(dataset.cases[0]!.outputDir).to.equal(path.join(dir, 'a', 'output'));
      expect((await dataset.sample('a')).target_labels['caption']).to.deep.equal({
        caption: 'caption of case 0',
      });
    });

    it('leaves absent nullable properties out of the sample', async () => {
      const doc = structuredClone(MANIFEST) as typeof MANIFEST & { 'schema-in': Record<string, object> };
      doc['schema-in']['extra'] = { type: 'string', nullable: true };
      doc['schema-in']['dose'] = { type: 'number', nullable: true };
      const def = definitionOf(doc);
      dir = await tempDir();
      await writeCase(def, dir, 'a', 0);
      await writeCase(def, dir, 'b', 1);
      await new Outputs(path.join(dir, 'b', 'input'), def.inputs, {}).set('extra', 'present');
      await new Outputs(path.join(dir, 'b', 'input'), def.inputs, {}).set('dose', 2.5);
      const dataset = await caseDataset(def, dir);
      expect(dataset.info().inputs['dose']).to.deep.equal({ type: 'tabular' });
      const a = await dataset.sample('a');
      const b = await dataset.sample('b');
      expect(a.inputs).to.not.have.property('extra');
      expect(a.inputs).to.not.have.property('dose');
      expect(b.inputs['extra']).to.equal('present');
      // A top-level number is a one-column table named after it.
      expect(b.inputs['dose']).to.deep.equal({ dose: 2.5 });
    });

    it('takes a shape the manifest leaves open from the cases when they all agree', async () => {
      const doc = {
        ...MANIFEST,
        'schema-in': { v: { type: 'ndarray', dtype: 'float32', shape: [null, 2] } },
        'schema-out': { w: { type: 'ndarray', dtype: 'int16' } },
      };
      const def = definitionOf(doc);
      dir = await tempDir();
      for (const id of ['a', 'b']) {
        await new Outputs(path.join(dir, id, 'input'), def.inputs, {}).ndarray(
          'v',
          ndarray('float32', [3, 2], [1, 2, 3, 4, 5, 6]),
        );
        await new Outputs(path.join(dir, id, 'expected'), def.outputs, {}).ndarray(
          'w',
          ndarray('int16', [4], [1, -2, 3, -4]),
        );
      }
      const dataset = await caseDataset(def, dir);
      expect(dataset.info()).to.deep.equal({
        inputs: { v: { type: 'array', shape: [3, 2] } },
        outputs: { w: { type: 'array', shape: [4] } },
      });
      expect(codes(dataset.warnings, 'warning')).to.deep.equal(['BERTH_E_EIR_CONVERTED']);
      const w = (await dataset.sample('a')).target_labels['w'] as JsonObj;
      const bytes = Buffer.from(w['w'] as string, 'base64');
      expect([0, 1, 2, 3].map((i) => bytes.readFloatLE(4 * i))).to.deep.equal([1, -2, 3, -4]);

      // One case with another extent: refused, naming both shapes and the cases.
      await new Outputs(path.join(dir, 'b', 'input'), def.inputs, {}).ndarray(
        'v',
        ndarray('float32', [1, 2], [1, 2]),
      );
      const error = await refusal(caseDataset(def, dir));
      const shape = error.findings.find((f) => f.code === 'BERTH_E_EIR_SHAPE')!;
      expect(shape.property).to.equal('schema-in/v');
      expect(shape.message).to.include('[3, 2] in 1 case (a)').and.include('[1, 2] in 1 case (b)');
    });

    it('sends a grey JPEG as a grey PNG', async () => {
      const def = definitionOf({
        ...MANIFEST,
        'schema-in': { s: { 'mime-type': 'image/jpeg' } },
        'schema-out': {},
      });
      dir = await tempDir();
      // A one-component JPEG: jpeg-js only writes three, so build one from a grey PNG via a known file.
      const grey = greyJpeg();
      await mkdir(path.join(dir, 'a', 'input'), { recursive: true });
      await mkdir(path.join(dir, 'a', 'expected'), { recursive: true });
      await writeFile(path.join(dir, 'a', 'input', 's'), grey);
      const dataset = await caseDataset(def, dir);
      expect(dataset.info().inputs['s']).to.deep.equal({ type: 'image', shape: [8, 8, 1] });
      const png = PNG.sync.read(Buffer.from((await dataset.sample('a')).inputs['s'] as string, 'base64'));
      const decoded = jpeg.decode(grey, { useTArray: true });
      expect(Array.from(png.data)).to.deep.equal(Array.from(decoded.data));
    });
  });

  describe('start-up refusals', () => {
    it('refuses properties EIR cannot take, listing every one, or skips them on request', async () => {
      const doc = structuredClone(MANIFEST) as {
        'schema-in': Record<string, object>;
        'schema-out': Record<string, object>;
      };
      doc['schema-in']['when'] = { type: 'date-time' };
      doc['schema-in']['ct'] = { 'dicom-type': 'dicom-series', nullable: true };
      doc['schema-in']['report'] = { 'mime-type': 'application/pdf', nullable: true };
      doc['schema-in']['clinical'] = {
        type: 'object',
        properties: { age: { type: 'integer' }, seen: { type: 'date-time' } },
      };
      doc['schema-out']['items'] = {
        type: 'array',
        items: { type: 'object', properties: { a: { type: 'number' } } },
      };
      doc['schema-out']['field'] = { type: 'ndarray', dtype: 'complex64', nullable: true };
      const def = definitionOf(doc);
      dir = await tempDir();
      await writeCase(DEF, dir, 'a', 0);
      // The clinical object of this manifest has other members: write it anew.
      await rm(path.join(dir, 'a', 'input', 'clinical'), { recursive: true });
      const ins = new Outputs(path.join(dir, 'a', 'input'), def.inputs, {});
      await ins.set('when', '2024-01-02T03:04:05Z');
      await ins.set('clinical', { age: 40, seen: '2024-01-02T03:04:05Z' });
      await new Outputs(path.join(dir, 'a', 'expected'), def.outputs, {}).set('items', [{ a: 1 }]);

      const error = await refusal(caseDataset(def, dir));
      expect(error.code).to.equal('BERTH_E_EIR_UNSUPPORTED');
      const unsupported = error.findings
        .filter((f) => f.code === 'BERTH_E_EIR_UNSUPPORTED')
        .map((f) => f.property);
      expect(unsupported.sort()).to.deep.equal([
        'schema-in/clinical/seen',
        'schema-in/ct',
        'schema-in/report',
        'schema-in/when',
        'schema-out/field',
        'schema-out/items',
      ]);
      expect(error.findings.every((f) => f.severity === 'error')).to.equal(true);

      const dataset = await caseDataset(def, dir, { skipUnsupported: true });
      expect(dataset.warnings.filter((f) => f.code === 'BERTH_E_EIR_UNSUPPORTED')).to.have.length(6);
      expect(Object.keys(dataset.info().inputs)).to.deep.equal([
        'notes',
        'clinical',
        'volume',
        'genotype',
        'photo',
        'scan',
      ]);
      expect(Object.keys(dataset.info().outputs)).to.not.include.members(['items', 'field']);
      // Only the supported column of the object is sent.
      expect((await dataset.sample('a')).inputs['clinical']).to.deep.equal({ age: 40 });
    });

    it('refuses images whose shapes differ between cases', async () => {
      ({ dir } = await writeDataset(DEF, 3));
      await writeFile(path.join(dir, 'case-02', 'input', 'photo'), rgbPng(new Uint8Array(4 * 4 * 3), 4, 4));
      const error = await refusal(caseDataset(DEF, dir));
      expect(codes(error.findings)).to.deep.equal(['BERTH_E_EIR_SHAPE']);
      const f = error.findings[0]!;
      expect(f.property).to.equal('schema-in/photo');
      expect(f.path).to.equal(path.join(dir, 'case-02', 'input', 'photo'));
      expect(f.message)
        .to.include('[5, 6, 3] in 2 cases (case-00, case-01)')
        .and.include('[4, 4, 3] in 1 case (case-02)');
    });

    it('refuses incomplete and invalid cases with codes and paths', async () => {
      ({ dir } = await writeDataset(DEF, 5));
      await rm(path.join(dir, 'case-01', 'expected'), { recursive: true });
      await rm(path.join(dir, 'case-02', 'input'), { recursive: true });
      await mkdir(path.join(dir, 'case-03', 'output'));
      await rm(path.join(dir, 'case-04', 'expected', 'caption'));
      await writeFile(path.join(dir, 'case-00', 'input', 'scan'), rgbPng(new Uint8Array(8 * 8 * 3), 8, 8));
      const { dataset, findings } = await inspectCaseDataset(DEF, dir);
      expect(dataset).to.equal(undefined);
      const byPath = findings.map((f) => [f.code, path.relative(dir!, f.path ?? '')]);
      expect(byPath).to.deep.include.members([
        ['BERTH_E_EIR_CASE', 'case-01'],
        ['BERTH_E_EIR_CASE', 'case-02'],
        ['BERTH_E_EIR_CASE', 'case-03'],
        ['BERTH_E_TREE_MISSING', 'case-04/expected/caption'],
        ['BERTH_E_MIME_MISMATCH', 'case-00/input/scan'],
      ]);
      expect(findings.find((f) => f.path === path.join(dir!, 'case-03'))!.message).to.include(
        'both expected/ and output/',
      );
    });

    it('refuses a folder that is missing or holds no case', async () => {
      dir = await tempDir();
      const empty = await refusal(caseDataset(DEF, dir));
      expect(empty.code).to.equal('BERTH_E_EIR_DATASET');
      const missing = await refusal(caseDataset(DEF, path.join(dir, 'nope')));
      expect(missing.code).to.equal('BERTH_E_EIR_DATASET');
      expect(isBerthError(missing)).to.equal(true);
    });

    it('refuses a sample whose file changed shape after start (the server skips it)', async () => {
      ({ dir } = await writeDataset(DEF, 2));
      const dataset = await caseDataset(DEF, dir);
      const tmp = path.join(dir, 'case-01', 'input', 'photo.new');
      await writeFile(tmp, rgbPng(new Uint8Array(2 * 2 * 3), 2, 2));
      await rename(tmp, path.join(dir, 'case-01', 'input', 'photo'));
      let error: unknown;
      await dataset.sample('case-01').catch((e: unknown) => (error = e));
      expect(isBerthError(error) && error.code).to.equal('BERTH_E_EIR_SHAPE');
      const ok: EirSample = await dataset.sample('case-00');
      expect(ok.sample_id).to.equal('case-00');
    });
  });
});

/**
 * A baseline one-component (greyscale) 8×8 JPEG, hand-assembled: every 8×8 block is a flat grey
 * (DC only), so the entropy-coded data is tiny. jpeg-js can decode but not write greyscale.
 */
function greyJpeg(): Buffer {
  // SOI, DQT (all ones), SOF0 8x8 1 component, DHT DC table with one code for category 0,
  // DHT AC table with one code for EOB, SOS, data: DC diff 0 + EOB, EOI.
  const dqt = [0xff, 0xdb, 0x00, 0x43, 0x00, ...new Array<number>(64).fill(1)];
  const sof = [0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00];
  const dcCounts = [1, ...new Array<number>(15).fill(0)];
  const dht0 = [0xff, 0xc4, 0x00, 0x14, 0x00, ...dcCounts, 0x00];
  const dht1 = [0xff, 0xc4, 0x00, 0x14, 0x10, ...dcCounts, 0x00];
  const sos = [0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00];
  // Codes: DC category 0 = "0", EOB = "0" → bits 00, padded with ones: 0b00111111.
  const data = [0x3f];
  return Buffer.from([0xff, 0xd8, ...dqt, ...sof, ...dht0, ...dht1, ...sos, ...data, 0xff, 0xd9]);
}
