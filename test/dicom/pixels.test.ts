import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBerthError } from '../../src/errors.js';
import { readPixels } from '../../src/dicom/pixels.js';
import { scanHeaderSync } from '../../src/dicom/scan.js';
import { synthSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write.js';
import { removeDir, tempDir } from '../support/temp.js';

const NATIVE = [
  TS.ExplicitVRLittleEndian,
  TS.ImplicitVRLittleEndian,
  TS.ExplicitVRBigEndian,
  TS.DeflatedExplicitVRLittleEndian,
];

describe('dicom/pixels: readPixels', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('dicom');
  });
  after(() => removeDir(dir));

  for (const ts of NATIVE) {
    it(`gives the stored values of CT (signed), MR (unsigned) and OT (8-bit multi-frame) in ${ts}`, async () => {
      for (const spec of [
        { modality: 'CT' as const, rows: 40, columns: 36 },
        { modality: 'MR' as const, rows: 20, columns: 24 },
        { modality: 'OT' as const, rows: 12, columns: 10, frames: 3 },
      ]) {
        const [inst] = synthSeries({ ...spec, instances: 1, transferSyntaxUid: ts });
        const path = join(dir, `${spec.modality}-${ts}.dcm`);
        await writeFile(path, encodePart10(inst!.elements, { transferSyntaxUid: ts }));
        const px = await readPixels(path, scanHeaderSync(path));
        if (px.kind !== 'native') throw new Error('expected native');
        expect(px.data.constructor).to.equal(inst!.pixels.constructor);
        expect(Array.from(px.data)).to.deep.equal(Array.from(inst!.pixels as ArrayLike<number>));
        expect(px).to.include({ rows: spec.rows, columns: spec.columns, frames: spec.frames ?? 1 });
        if (spec.modality === 'CT') expect(Math.min(...Array.from(px.data))).to.equal(-2000);
      }
    });
  }

  it('gives signed 8-bit and 32-bit pixels in the right type', async () => {
    const [inst] = synthSeries({ instances: 1, rows: 4, columns: 4 });
    const base = inst!.elements.filter(
      (e) => ![0x00280100, 0x00280101, 0x00280102, 0x7fe00010].includes(e.tag),
    );
    for (const [bits, values] of [
      [8, new Int8Array([-128, -1, 0, 127, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -16])],
      [32, Int32Array.from({ length: 16 }, (_, i) => (i - 8) * 100_000)],
    ] as const) {
      for (const ts of [TS.ExplicitVRLittleEndian, TS.ExplicitVRBigEndian]) {
        const path = join(dir, `bits-${bits}-${ts}.dcm`);
        const elements = [
          ...base,
          { tag: 0x00280100, vr: 'US' as const, value: bits },
          { tag: 0x00280101, vr: 'US' as const, value: bits },
          { tag: 0x00280102, vr: 'US' as const, value: bits - 1 },
          { tag: 0x7fe00010, vr: bits === 8 ? ('OB' as const) : ('OW' as const), value: values },
        ];
        await writeFile(path, encodePart10(elements, { transferSyntaxUid: ts }));
        const px = await readPixels(path, scanHeaderSync(path));
        if (px.kind !== 'native') throw new Error('expected native');
        expect(px.data.constructor).to.equal(values.constructor);
        expect(Array.from(px.data)).to.deep.equal(Array.from(values));
      }
    }
  });

  it('splits encapsulated pixel data into frames: by offset table, one fragment per frame, or one frame', async () => {
    const [inst] = synthSeries({ modality: 'OT', instances: 1, rows: 8, columns: 8, frames: 3 });
    const frag = (n: number, len: number) => Uint8Array.from({ length: len }, (_, i) => (n * 16 + i) & 0xff);
    const cases = [
      {
        name: 'offset table, frame 2 in two fragments',
        value: { fragments: [frag(1, 10), frag(2, 6), frag(3, 4), frag(4, 8)], offsetTable: [0, 18, 32] },
        frames: [[frag(1, 10)], [frag(2, 6)], [frag(3, 4), frag(4, 8)]],
        count: 3,
      },
      {
        name: 'no table, one fragment per frame',
        value: { fragments: [frag(1, 10), frag(2, 6), frag(3, 4)], offsetTable: [] },
        frames: [[frag(1, 10)], [frag(2, 6)], [frag(3, 4)]],
        count: 3,
      },
      {
        name: 'no table, single frame in fragments',
        value: { fragments: [frag(1, 10), frag(2, 6)], offsetTable: [] },
        frames: [[frag(1, 10), frag(2, 6)]],
        count: 1,
      },
    ];
    for (const c of cases) {
      const elements = inst!.elements.map((e) =>
        e.tag === 0x7fe00010
          ? { ...e, value: { encapsulated: true as const, ...c.value } }
          : e.tag === 0x00280008
            ? { ...e, value: c.count }
            : e,
      );
      const path = join(dir, `encap-${c.count}-${c.value.fragments.length}.dcm`);
      await writeFile(path, encodePart10(elements, { transferSyntaxUid: TS.RLELossless }));
      const h = scanHeaderSync(path);
      expect(h.pixelData).to.include({ encapsulated: true, length: undefined });
      const px = await readPixels(path, h, { decode: false });
      if (px.kind !== 'encapsulated') throw new Error('expected encapsulated');
      expect(px.transferSyntaxUid).to.equal(TS.RLELossless);
      expect(
        px.frames.map((f) => Array.from(f)),
        c.name,
      ).to.deep.equal(c.frames.map((parts) => parts.flatMap((p) => Array.from(p))));
    }
  });

  it('refuses what it cannot group, and pixel data that is not there', async () => {
    const [inst] = synthSeries({ modality: 'OT', instances: 1, rows: 8, columns: 8, frames: 3 });
    const elements = inst!.elements.map((e) =>
      e.tag === 0x7fe00010
        ? {
            ...e,
            value: {
              encapsulated: true as const,
              fragments: [new Uint8Array(4), new Uint8Array(4)],
              offsetTable: [],
            },
          }
        : e,
    );
    const path = join(dir, 'ungroupable.dcm');
    await writeFile(path, encodePart10(elements, { transferSyntaxUid: TS.JPEGBaseline8Bit }));
    const err = await readPixels(path, scanHeaderSync(path)).catch((e: unknown) => e);
    expect(isBerthError(err) && err.code).to.equal('BERTH_E_DICOM_PARSE');
    const noPixels = join(dir, 'no-pixels.dcm');
    await writeFile(
      noPixels,
      encodePart10(
        inst!.elements.filter((e) => e.tag !== 0x7fe00010),
        { transferSyntaxUid: TS.ExplicitVRLittleEndian },
      ),
    );
    const err2 = await readPixels(noPixels, scanHeaderSync(noPixels)).catch((e: unknown) => e);
    expect(isBerthError(err2) && err2.code).to.equal('BERTH_E_MISSING_ATTRIBUTE');
  });

  it('reports a deflated file whose pixel data is cut short', async () => {
    const [inst] = synthSeries({ instances: 1, rows: 64, columns: 64 });
    const full = encodePart10(inst!.elements, { transferSyntaxUid: TS.DeflatedExplicitVRLittleEndian });
    const path = join(dir, 'deflated-cut.dcm');
    await writeFile(path, full.subarray(0, Math.floor(full.length * 0.6)));
    const h = scanHeaderSync(path); // the header is intact; only the pixels are missing
    const err = await readPixels(path, h).catch((e: unknown) => e);
    expect(isBerthError(err) && err.code).to.equal('BERTH_E_PIXEL_LENGTH');
  });
});
