/**
 * The codec test corpus, built at test time from berth's synthetic series (never copied from
 * anywhere): native sources of every sample layout the codecs meet, then compressed by dcmtk and
 * GDCM into every syntax they write.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { synthSeries, type SeriesSpec } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { element, encodePart10, type BinaryValue, type WriteElement } from '../../src/dicom/write.js';
import { run } from '../support/dicom-peers.js';

/** A native source file of the corpus. */
export interface Source {
  readonly name: string;
  readonly path: string;
  readonly bits: 8 | 16;
  readonly rgb: boolean;
}

const IMAGE_TAGS = new Set([
  0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280100, 0x00280101, 0x00280102, 0x00280103, 0x7fe00010,
]);

function reshape(
  spec: SeriesSpec,
  frames: number,
  image: { bits: 8 | 16; stored: number; signed: boolean; samples: 1 | 3 },
  values: (i: number) => number,
): Buffer {
  const base = synthSeries({ ...spec, instances: 1, rows: 64, columns: 64 })[0]!;
  const count = 64 * 64 * image.samples * frames;
  const data: BinaryValue =
    image.bits === 8
      ? Uint8Array.from({ length: count }, (_, i) => values(i))
      : image.signed
        ? Int16Array.from({ length: count }, (_, i) => values(i))
        : Uint16Array.from({ length: count }, (_, i) => values(i));
  const els: WriteElement[] = base.elements.filter((e) => !IMAGE_TAGS.has(e.tag));
  els.push(
    element('SamplesPerPixel', image.samples),
    element('PhotometricInterpretation', image.samples === 3 ? 'RGB' : 'MONOCHROME2'),
    element('BitsAllocated', image.bits),
    element('BitsStored', image.stored),
    element('HighBit', image.stored - 1),
    element('PixelRepresentation', image.signed ? 1 : 0),
    { tag: 0x7fe00010, vr: image.bits === 8 ? 'OB' : 'OW', value: data },
  );
  if (image.samples === 3) els.push(element('PlanarConfiguration', 0));
  if (frames > 1) els.push(element('NumberOfFrames', frames));
  els.sort((a, b) => a.tag - b.tag);
  return encodePart10(els, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
}

/** A smooth image with noise, so every codec has real work: values within [lo, hi]. */
function pattern(lo: number, hi: number, seed: number): (i: number) => number {
  return (i) => {
    const x = i % 64;
    const y = Math.floor(i / 64) % 64;
    const v = lo + (((x * 7 + y * 13 + (((i * 2654435761 + seed) >>> 0) % 29)) * 97) % (hi - lo + 1));
    return v;
  };
}

/** Writes the native sources into `dir`. */
export async function writeSources(dir: string): Promise<Source[]> {
  const defs: [string, SeriesSpec, number, Parameters<typeof reshape>[2], (i: number) => number][] = [
    [
      's16',
      { modality: 'CT', seed: 1 },
      1,
      { bits: 16, stored: 16, signed: true, samples: 1 },
      pattern(-2000, 3000, 1),
    ],
    [
      'u16x3',
      { modality: 'MR', seed: 2 },
      3,
      { bits: 16, stored: 16, signed: false, samples: 1 },
      pattern(0, 60000, 2),
    ],
    [
      'u12',
      { modality: 'MR', seed: 3 },
      1,
      { bits: 16, stored: 12, signed: false, samples: 1 },
      pattern(0, 4095, 3),
    ],
    [
      's12',
      { modality: 'CT', seed: 4 },
      1,
      { bits: 16, stored: 12, signed: true, samples: 1 },
      pattern(-2048, 2047, 4),
    ],
    [
      'u8x3',
      { modality: 'OT', seed: 5 },
      3,
      { bits: 8, stored: 8, signed: false, samples: 1 },
      pattern(0, 255, 5),
    ],
    [
      'rgb8x2',
      { modality: 'OT', seed: 6 },
      2,
      { bits: 8, stored: 8, signed: false, samples: 3 },
      pattern(0, 255, 6),
    ],
  ];
  const out: Source[] = [];
  for (const [name, spec, frames, image, values] of defs) {
    const path = join(dir, `${name}.dcm`);
    await writeFile(path, reshape(spec, frames, image, values));
    out.push({ name, path, bits: image.bits, rgb: image.samples === 3 });
  }
  return out;
}

/** One compressed variant: how it was made and which tool decodes it back for comparison. */
export interface Variant {
  readonly name: string;
  readonly make: (src: string, dst: string) => [string, string[]];
  readonly decoder: (src: string, dst: string) => [string, string[]];
  /** Applies to this source. */
  readonly fits: (s: Source) => boolean;
}

const dcmdjpeg = (s: string, d: string): [string, string[]] => ['dcmdjpeg', [s, d]];
const dcmdjpls = (s: string, d: string): [string, string[]] => ['dcmdjpls', [s, d]];
const dcmdrle = (s: string, d: string): [string, string[]] => ['dcmdrle', [s, d]];
const gdcmRaw = (s: string, d: string): [string, string[]] => ['gdcmconv', ['--raw', s, d]];
const all = (): boolean => true;

/** The lossless variants (dcmtk and GDCM encoders, fragment and offset table options). */
export const LOSSLESS_VARIANTS: readonly Variant[] = [
  { name: 'dcmcrle', make: (s, d) => ['dcmcrle', [s, d]], decoder: dcmdrle, fits: all },
  { name: 'dcmcrle-no-bot', make: (s, d) => ['dcmcrle', ['-ot', s, d]], decoder: dcmdrle, fits: all },
  { name: 'gdcm-rle', make: (s, d) => ['gdcmconv', ['--rle', s, d]], decoder: gdcmRaw, fits: all },
  { name: 'dcmcjpls', make: (s, d) => ['dcmcjpls', [s, d]], decoder: dcmdjpls, fits: all },
  {
    name: 'dcmcjpls-frag-no-bot',
    make: (s, d) => ['dcmcjpls', ['+fs', '1', '-ot', s, d]],
    decoder: dcmdjpls,
    fits: all,
  },
  { name: 'gdcm-jpegls', make: (s, d) => ['gdcmconv', ['--jpegls', s, d]], decoder: gdcmRaw, fits: all },
  { name: 'dcmcjpeg-p14', make: (s, d) => ['dcmcjpeg', ['+el', s, d]], decoder: dcmdjpeg, fits: all },
  {
    name: 'dcmcjpeg-p14-sv7',
    make: (s, d) => ['dcmcjpeg', ['+el', '+sv', '7', s, d]],
    decoder: dcmdjpeg,
    fits: all,
  },
  { name: 'dcmcjpeg-sv1', make: (s, d) => ['dcmcjpeg', ['+e1', s, d]], decoder: dcmdjpeg, fits: all },
  {
    name: 'dcmcjpeg-sv1-frag-bot',
    make: (s, d) => ['dcmcjpeg', ['+e1', '+fs', '1', '+ot', s, d]],
    decoder: dcmdjpeg,
    fits: all,
  },
  {
    name: 'dcmcjpeg-sv1-frag-no-bot',
    make: (s, d) => ['dcmcjpeg', ['+e1', '+fs', '1', '-ot', s, d]],
    decoder: dcmdjpeg,
    fits: all,
  },
  { name: 'gdcm-j2k', make: (s, d) => ['gdcmconv', ['--j2k', s, d]], decoder: gdcmRaw, fits: all },
];

/** Lossy variants and the largest difference allowed from the source. */
export const LOSSY_VARIANTS: readonly (Variant & { bound: number })[] = [
  {
    name: 'dcmcjpeg-baseline',
    make: (s, d) => ['dcmcjpeg', ['+eb', s, d]],
    decoder: dcmdjpeg,
    fits: (s) => s.bits === 8,
    bound: 0,
  },
  {
    name: 'dcmcjpeg-extended-8bit',
    make: (s, d) => ['dcmcjpeg', ['+ee', s, d]],
    decoder: dcmdjpeg,
    fits: (s) => s.bits === 8,
    bound: 0,
  },
  // 12-bit JPEG extended (process 4) through berth's DCT decoder: dcmtk's integer IDCT and berth's
  // floating-point one round apart by at most 1 a sample; a YCbCr→RGB conversion after them scales
  // that by up to 1.772 (so 3), with libjpeg's triangle upsampling of 4:2:2 and 4:2:0 chroma.
  {
    name: 'dcmcjpeg-extended-12bit',
    make: (s, d) => ['dcmcjpeg', ['+ee', s, d]],
    decoder: dcmdjpeg,
    fits: (s) => s.bits === 16,
    bound: 1,
  },
  {
    name: 'dcmcjpeg-extended-12bit-rgb',
    make: (s, d) => ['dcmcjpeg', ['+ee', '+bt', '+cr', s, d]],
    decoder: dcmdjpeg,
    fits: (s) => s.rgb,
    bound: 1,
  },
  {
    name: 'dcmcjpeg-extended-12bit-ybr422',
    make: (s, d) => ['dcmcjpeg', ['+ee', '+bt', s, d]],
    decoder: dcmdjpeg,
    fits: (s) => s.rgb,
    bound: 3,
  },
  {
    name: 'dcmcjpeg-extended-12bit-ybr420',
    make: (s, d) => ['dcmcjpeg', ['+ee', '+bt', '+n1', s, d]],
    decoder: dcmdjpeg,
    fits: (s) => s.rgb,
    bound: 3,
  },
  {
    // GDCM writes 12-bit stored samples as 16-bit DCT JPEG (outside T.81; dcmtk refuses it).
    name: 'gdcm-jpeg-lossy-12bit',
    make: (s, d) => ['gdcmconv', ['--jpeg', '--lossy', s, d]],
    decoder: gdcmRaw,
    fits: (s) => s.name === 'u12',
    bound: 1,
  },
  {
    name: 'gdcm-jpegls-near-2',
    make: (s, d) => ['gdcmconv', ['--jpegls', '--lossy', '-e', '2', s, d]],
    decoder: gdcmRaw,
    fits: all,
    bound: 0,
  },
  {
    name: 'gdcm-j2k-lossy',
    make: (s, d) => ['gdcmconv', ['--j2k', '--lossy', '-q', '50', s, d]],
    decoder: gdcmRaw,
    fits: (s) => s.bits === 16 && !s.rgb,
    bound: 0,
  },
];

/** Runs a tool of the corpus; rejects with its output when it fails. */
export async function tool([file, args]: [string, string[]]): Promise<void> {
  const r = await run(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.code} ${r.stderr}`);
}
