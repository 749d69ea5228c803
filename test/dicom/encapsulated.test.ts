/**
 * Encapsulated pixel data: frames found by the Extended Offset Table, and a file cut inside its
 * last fragment caught by validation (the header scan alone cannot see it).
 */
import { expect } from 'chai';
import { readFile, truncate, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkDicomProperty } from '../../src/kinds/dicom-property.js';
import { checkFragments, readFrames } from '../../src/dicom/encapsulated.js';
import { readPixels } from '../../src/dicom/pixels.js';
import { scanHeader } from '../../src/dicom/scan.js';
import { synthSeries, writeSeries } from '../../src/dicom/synth.js';
import { transcodeFile } from '../../src/dicom/transcode.js';
import { encodePart10, type WriteElement } from '../../src/dicom/write.js';
import { definition } from '../support/dicom-fixtures.js';
import { codeOfAsync } from '../support/codes.js';
import { removeDir, tempDir } from '../support/temp.js';

const RLE = '1.2.840.10008.1.2.5';

function u64s(values: number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), i * 8));
  return new Uint8Array(b);
}

describe('dicom/encapsulated: fragments, frames and truncation', () => {
  let dir: string | undefined;
  before(async () => {
    dir = await tempDir('encapsulated');
  });
  after(() => removeDir(dir));

  it('groups fragments into frames by the Extended Offset Table when the basic one is empty', async () => {
    const [inst] = synthSeries({ seed: 'eot', modality: 'OT', instances: 1, rows: 8, columns: 8, frames: 2 });
    const fragments = [new Uint8Array([1, 1]), new Uint8Array([2, 2, 2, 2]), new Uint8Array([3, 3])];
    // Frame 1: fragments 1 and 2 (items of 8 + 2 and 8 + 4 bytes); frame 2 starts at byte 22.
    const els: WriteElement[] = inst!.elements.filter((e) => e.tag !== 0x7fe00010);
    els.push(
      { tag: 0x7fe00001, vr: 'OV', value: u64s([0, 22]) },
      { tag: 0x7fe00002, vr: 'OV', value: u64s([6, 2]) },
      { tag: 0x7fe00010, vr: 'OB', value: { encapsulated: true, fragments, offsetTable: [] } },
    );
    els.sort((a, b) => a.tag - b.tag);
    const path = join(dir!, 'eot.dcm');
    await writeFile(path, encodePart10(els, { transferSyntaxUid: RLE }));
    const frames = await readFrames(path, await scanHeader(path));
    expect(frames.map((f) => [...f])).to.deep.equal([
      [1, 1, 2, 2, 2, 2],
      [3, 3],
    ]);
  });

  it('refuses a basic or extended offset table whose entries are not one a frame, at validation too', async () => {
    const [inst] = synthSeries({ seed: 'bot', modality: 'OT', instances: 1, rows: 8, columns: 8, frames: 2 });
    const fragments = [new Uint8Array([1, 1]), new Uint8Array([2, 2])];
    const base: WriteElement[] = inst!.elements.filter((e) => e.tag !== 0x7fe00010);
    const cases: [string, WriteElement[], RegExp][] = [
      [
        'bot',
        [{ tag: 0x7fe00010, vr: 'OB', value: { encapsulated: true, fragments, offsetTable: [0, 10, 10] } }],
        /Basic Offset Table has 3 entries for 2 frames/,
      ],
      [
        'eot',
        [
          { tag: 0x7fe00001, vr: 'OV', value: u64s([0]) },
          { tag: 0x7fe00002, vr: 'OV', value: u64s([2]) },
          { tag: 0x7fe00010, vr: 'OB', value: { encapsulated: true, fragments, offsetTable: [] } },
        ],
        /Extended Offset Table has 1 entries for 2 frames/,
      ],
    ];
    for (const [name, extra, message] of cases) {
      const path = join(dir!, `${name}-count.dcm`);
      await writeFile(
        path,
        encodePart10(
          [...base, ...extra].sort((a, b) => a.tag - b.tag),
          { transferSyntaxUid: RLE },
        ),
      );
      const header = await scanHeader(path);
      // Both when decoding and at validation, which reads the item headers only.
      for (const err of [
        await readFrames(path, header).catch((e: unknown) => e),
        await checkFragments(path, header).catch((e: unknown) => e),
      ]) {
        expect(err, name).to.include({ code: 'BERTH_E_DICOM_PARSE' });
        expect((err as Error).message, name).to.match(message);
      }
    }
  });

  it('finds a compressed image cut inside its last fragment truncated at validation, though its header scans', async () => {
    const series = await writeSeries(join(dir!, 'native'), {
      seed: 'cut',
      instances: 1,
      rows: 32,
      columns: 32,
    });
    const whole = join(dir!, 'whole.dcm');
    await transcodeFile(series.files[0]!.path, whole, RLE);
    const image = join(dir!, 'image');
    await mkdir(image);
    const cut = join(image, `${series.files[0]!.sopInstanceUid}.dcm`);
    await writeFile(cut, await readFile(whole));
    await truncate(cut, (await readFile(whole)).length - 20);
    const header = await scanHeader(cut);
    expect(header.TransferSyntaxUID).to.equal(RLE);
    expect(await codeOfAsync(checkFragments(cut, header))).to.equal('BERTH_E_TRUNCATED');
    expect(await codeOfAsync(readPixels(cut, header))).to.equal('BERTH_E_TRUNCATED');
    await checkFragments(whole, await scanHeader(whole));

    const machine = definition({ img: { 'dicom-type': 'dicom-image' } });
    const findings = await checkDicomProperty(machine.inputs[0]!, cut, 'in');
    expect(findings.map((f) => f.code)).to.deep.equal(['BERTH_E_TRUNCATED']);
    const seriesMachine = definition({ s: { 'dicom-type': 'dicom-series' } });
    const seriesFindings = await checkDicomProperty(seriesMachine.inputs[0]!, image, 'in');
    expect(seriesFindings.map((f) => f.code)).to.include('BERTH_E_TRUNCATED');
  });

  it('refuses to decode an image whose attributes claim more than 1 GiB of pixels, before allocating it', async () => {
    const [inst] = synthSeries({ seed: 'bomb', modality: 'OT', instances: 1, rows: 8, columns: 8 });
    const els: WriteElement[] = inst!.elements.map((e) =>
      e.tag === 0x00280010 || e.tag === 0x00280011
        ? { ...e, value: 65535 }
        : e.tag === 0x7fe00010
          ? {
              ...e,
              vr: 'OB' as const,
              value: { encapsulated: true as const, fragments: [new Uint8Array(64)], offsetTable: [] },
            }
          : e,
    );
    const path = join(dir!, 'bomb.dcm');
    await writeFile(path, encodePart10(els, { transferSyntaxUid: RLE }));
    const header = await scanHeader(path);
    expect(header.Rows).to.equal(65535);
    const e = await readPixels(path, header).catch((x: unknown) => x);
    expect(e).to.include({
      code: 'BERTH_E_DICOM_PARSE',
      expected: 'at most 1073741824 bytes of decoded pixel data',
    });
  });
});
