import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDeflateRaw } from 'node:zlib';
import { parseFullBytes } from '../support/dicom-parser.js';
import { DEFAULT_MAX_INFLATED_BYTES, INFLATE_HEADER_ALLOWANCE } from '../../src/dicom/inflate.js';
import { readPixels } from '../../src/dicom/pixels.js';
import { scanHeaderBytes, scanHeaderSync } from '../../src/dicom/scan.js';
import { synthSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { transcodeBytes } from '../../src/dicom/transcode.js';
import { elementHeader, encodeDataSet, encodePart10, type WriteElement } from '../../src/dicom/write.js';
import { codeOf, codeOfAsync } from '../support/codes.js';
import { removeDir, tempDir } from '../support/temp.js';

const MiB = 2 ** 20;
const EXPLICIT = { little: true, explicit: true } as const;

/** Deflates `head`, then `zeros` zero bytes, streamed so the inflated size never sits in memory. */
async function deflateWithZeros(head: Buffer, zeros: number): Promise<Buffer> {
  const deflater = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflater.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => deflater.on('end', resolve).on('error', reject));
  deflater.write(head);
  const chunk = Buffer.alloc(MiB);
  for (let left = zeros; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    if (!deflater.write(part)) await new Promise((r) => deflater.once('drain', r));
  }
  deflater.end();
  await done;
  return Buffer.concat(out);
}

/**
 * A deflated Part 10 file: the meta group, then `elements` and `tail` (raw explicit VR LE bytes)
 * followed by `zeros` zero bytes, all in one deflate stream.
 */
async function deflatedFile(elements: readonly WriteElement[], tail: Buffer, zeros: number): Promise<Buffer> {
  const plain = encodePart10(elements, {
    transferSyntaxUid: TS.ExplicitVRLittleEndian,
    meta: { TransferSyntaxUID: TS.DeflatedExplicitVRLittleEndian },
  });
  const body = encodeDataSet(
    elements.filter((e) => e.tag >>> 16 !== 0x0002),
    { transferSyntaxUid: TS.ExplicitVRLittleEndian },
  );
  const meta = plain.subarray(0, plain.length - body.length);
  return Buffer.concat([meta, await deflateWithZeros(Buffer.concat([body, tail]), zeros)]);
}

/** A synthetic CT's elements without its pixel data, with the dimensions given. */
function ctWithout(rows: number, columns: number): WriteElement[] {
  const [inst] = synthSeries({ instances: 1, rows: 8, columns: 8 });
  return inst!.elements
    .filter((e) => e.tag !== 0x7fe00010 && e.tag !== 0x00280010 && e.tag !== 0x00280011)
    .concat([
      { tag: 0x00280010, vr: 'US', value: rows },
      { tag: 0x00280011, vr: 'US', value: columns },
    ])
    .sort((a, b) => a.tag - b.tag);
}

describe('dicom/inflate: one bounded inflater for the deflated syntax', function () {
  this.timeout(60_000);
  let dir: string;
  let bomb: Buffer;
  let trailing: Buffer;
  before(async () => {
    dir = await tempDir('dicom');
    // The bomb: 16384 × 16384 × 16 bits = 512 MiB of zero pixels in about half a megabyte.
    bomb = await deflatedFile(
      ctWithout(16384, 16384),
      elementHeader(0x7fe00010, 'OW', 512 * MiB, EXPLICIT),
      512 * MiB,
    );
    // An 8 × 8 image whose deflate stream goes on with 70 MiB of trailing padding (FFFC,FFFC).
    const pixels = Buffer.concat([elementHeader(0x7fe00010, 'OW', 128, EXPLICIT), Buffer.alloc(128)]);
    const padding = elementHeader(0xfffcfffc, 'OB', 70 * MiB, EXPLICIT);
    trailing = await deflatedFile(ctWithout(8, 8), Buffer.concat([pixels, padding]), 70 * MiB);
  });
  after(() => removeDir(dir));

  it('refuses the 512 MiB bomb (0.5 MB on disk) before inflating its pixels, within 1 s', async () => {
    expect(bomb.length).to.be.below(MiB);
    const path = join(dir, 'bomb.dcm');
    await writeFile(path, bomb);
    const header = scanHeaderSync(path); // the header itself is fine: validation passes
    const started = Date.now();
    expect(await codeOfAsync(readPixels(path, header))).to.equal('BERTH_E_DICOM_INFLATE_LIMIT');
    expect(codeOf(() => transcodeBytes(bomb, TS.ExplicitVRLittleEndian, path))).to.equal(
      'BERTH_E_DICOM_INFLATE_LIMIT',
    );
    expect(codeOf(() => parseFullBytes(bomb, path))).to.equal('BERTH_E_DICOM_INFLATE_LIMIT');
    expect(Date.now() - started).to.be.below(1000);
    expect(DEFAULT_MAX_INFLATED_BYTES).to.be.below(512 * MiB);
  });

  it('bounds a whole inflation by the declared pixel size plus the allowance, not only the cap', () => {
    expect(70 * MiB)
      .to.be.above(128 + INFLATE_HEADER_ALLOWANCE)
      .and.below(DEFAULT_MAX_INFLATED_BYTES);
    expect(codeOf(() => transcodeBytes(trailing, TS.ExplicitVRLittleEndian))).to.equal(
      'BERTH_E_DICOM_INFLATE_LIMIT',
    );
    expect(codeOf(() => parseFullBytes(trailing, 'trailing.dcm'))).to.equal('BERTH_E_DICOM_INFLATE_LIMIT');
  });

  it('reads an ordinary deflated image, and refuses it under a smaller maxInflatedBytes', async () => {
    const [inst] = synthSeries({ instances: 1, rows: 64, columns: 64 });
    const bytes = encodePart10(inst!.elements, { transferSyntaxUid: TS.DeflatedExplicitVRLittleEndian });
    const path = join(dir, 'ordinary.dcm');
    await writeFile(path, bytes);
    const header = scanHeaderSync(path);
    const px = await readPixels(path, header);
    expect(px.kind).to.equal('native');
    expect(await codeOfAsync(readPixels(path, header, { maxInflatedBytes: 4096 }))).to.equal(
      'BERTH_E_DICOM_INFLATE_LIMIT',
    );
    expect(transcodeBytes(bytes, TS.ExplicitVRLittleEndian).bytes.length).to.be.above(64 * 64 * 2);
    expect(
      codeOf(() => transcodeBytes(bytes, TS.ExplicitVRLittleEndian, 'x', { maxInflatedBytes: 4096 })),
    ).to.equal('BERTH_E_DICOM_INFLATE_LIMIT');
  });

  it('scans the header of deflated bytes in memory without inflating their pixels', () => {
    // 2 MiB of pixels inflate past a 1 MiB header limit; only the header must fit in it.
    const [inst] = synthSeries({ instances: 1, rows: 1024, columns: 1024 });
    const bytes = encodePart10(inst!.elements, { transferSyntaxUid: TS.DeflatedExplicitVRLittleEndian });
    const header = scanHeaderBytes(bytes, 'big.dcm', { maxHeaderBytes: MiB });
    expect(header.Rows).to.equal(1024);
  });
});
