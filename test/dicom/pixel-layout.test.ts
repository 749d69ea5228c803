/**
 * Native pixel layouts pixels() hands out alike: planar colour interleaved, YBR_FULL_422 expanded,
 * YBR converted to RGB on request, big endian 8-bit OW of odd length swapped, float and double
 * pixel data read as Float32Array / Float64Array.
 */
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readPixels, type NativePixels } from '../../src/dicom/pixels.js';
import { scanHeader } from '../../src/dicom/scan.js';
import { synthSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { element, encodePart10, type WriteElement } from '../../src/dicom/write.js';
import { removeDir, tempDir } from '../support/temp.js';

const IMAGE_TAGS = new Set([
  0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280102,
  0x00280103, 0x7fe00010,
]);

/** A one-frame OT file of `rows × columns` with these image attributes and pixel element. */
function image(
  attrs: Record<string, string | number>,
  rows: number,
  columns: number,
  pixels: WriteElement,
  transferSyntaxUid: string = TS.ExplicitVRLittleEndian,
): Buffer {
  const [inst] = synthSeries({ seed: 'layout', modality: 'OT', instances: 1, rows, columns });
  const els = inst!.elements.filter((e) => !IMAGE_TAGS.has(e.tag));
  els.push(element('Rows', rows), element('Columns', columns), pixels);
  for (const [k, v] of Object.entries(attrs)) els.push(element(k, v));
  els.sort((a, b) => a.tag - b.tag);
  return encodePart10(els, { transferSyntaxUid });
}

const RGB8 = { SamplesPerPixel: 3, BitsAllocated: 8, BitsStored: 8, HighBit: 7, PixelRepresentation: 0 };

describe('dicom/pixel-layout: native layouts read alike', () => {
  let dir: string | undefined;
  let n = 0;
  before(async () => {
    dir = await tempDir('layout');
  });
  after(() => removeDir(dir));

  async function read(bytes: Buffer, options = {}): Promise<NativePixels> {
    const path = join(dir!, `${n++}.dcm`);
    await writeFile(path, bytes);
    const px = await readPixels(path, await scanHeader(path), options);
    if (px.kind !== 'native') throw new Error('not native');
    return px;
  }

  it('returns planar configuration 1 interleaved, like the same image stored interleaved', async () => {
    // 2 pixels: (10, 20, 30) and (11, 21, 31).
    const interleaved = new Uint8Array([10, 20, 30, 11, 21, 31]);
    const planar = new Uint8Array([10, 11, 20, 21, 30, 31]);
    const a = await read(
      image({ ...RGB8, PhotometricInterpretation: 'RGB', PlanarConfiguration: 0 }, 1, 2, {
        tag: 0x7fe00010,
        vr: 'OB',
        value: interleaved,
      }),
    );
    const b = await read(
      image({ ...RGB8, PhotometricInterpretation: 'RGB', PlanarConfiguration: 1 }, 1, 2, {
        tag: 0x7fe00010,
        vr: 'OB',
        value: planar,
      }),
    );
    expect([...b.data]).to.deep.equal([...interleaved]);
    expect([...a.data]).to.deep.equal([...interleaved]);
  });

  it('reads native YBR_FULL_422 (two samples a pixel) as YBR_FULL, and as RGB when asked', async () => {
    // One pair of pixels: Y1 Y2 Cb Cr.
    const bytes = image(
      { ...RGB8, PhotometricInterpretation: 'YBR_FULL_422', PlanarConfiguration: 0 },
      1,
      2,
      {
        tag: 0x7fe00010,
        vr: 'OB',
        value: new Uint8Array([100, 200, 128, 128]),
      },
    );
    const ybr = await read(bytes);
    expect(ybr.photometricInterpretation).to.equal('YBR_FULL');
    expect([...ybr.data]).to.deep.equal([100, 128, 128, 200, 128, 128]);
    const rgb = await read(bytes, { ybrToRgb: true });
    expect(rgb.photometricInterpretation).to.equal('RGB');
    // Neutral chroma: grey.
    expect([...rgb.data]).to.deep.equal([100, 100, 100, 200, 200, 200]);
  });

  it('converts YBR_FULL to RGB with the JPEG equations', async () => {
    const px = await read(
      image({ ...RGB8, PhotometricInterpretation: 'YBR_FULL', PlanarConfiguration: 0 }, 1, 1, {
        tag: 0x7fe00010,
        vr: 'OB',
        value: new Uint8Array([76, 85, 255, 0]),
      }),
      { ybrToRgb: true },
    );
    // Pure red in JFIF YCbCr is (76, 85, 255) → (255, 0, 0) within rounding.
    expect(Math.abs(px.data[0]! - 255)).to.be.at.most(1);
    expect(px.data[1]).to.be.at.most(1);
    expect(px.data[2]).to.be.at.most(1);
  });

  it('swaps big endian 8-bit OW pixel data of odd length word by word, pad byte included', async () => {
    // Three 8-bit values 1, 2, 3 and a pad byte; the writer swaps OW by words: the file holds 2 1 0 3.
    const px = await read(
      image(
        {
          SamplesPerPixel: 1,
          PhotometricInterpretation: 'MONOCHROME2',
          BitsAllocated: 8,
          BitsStored: 8,
          HighBit: 7,
          PixelRepresentation: 0,
        },
        1,
        3,
        { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array([1, 2, 3, 0]) },
        TS.ExplicitVRBigEndian,
      ),
    );
    expect([...px.data]).to.deep.equal([1, 2, 3]);
  });

  for (const [name, tag, vr, Type] of [
    ['Float Pixel Data', 0x7fe00008, 'OF', Float32Array],
    ['Double Float Pixel Data', 0x7fe00009, 'OD', Float64Array],
  ] as const) {
    for (const ts of [TS.ExplicitVRLittleEndian, TS.ExplicitVRBigEndian]) {
      it(`reads ${name} as ${Type.name} (${ts})`, async () => {
        const values = Type.from([0.5, -1.25, 3e5, Math.PI]);
        const px = await read(
          image(
            {
              SamplesPerPixel: 1,
              PhotometricInterpretation: 'MONOCHROME2',
              BitsAllocated: Type === Float32Array ? 32 : 64,
            },
            2,
            2,
            { tag, vr, value: values },
            ts,
          ),
        );
        expect(px.data).to.be.instanceOf(Type);
        expect([...px.data]).to.deep.equal([...values]);
      });
    }
  }
});
