/**
 * An in-memory EirSampleSource whose samples are built exactly like the complete example of
 * seeds/eir-streaming-data-types.txt: sequence string, tabular dict, float32 array (base64,
 * little-endian, C order), omics bool (one byte per element), PNG images, nested array / image /
 * sequence targets and a survival target {Event, Time}. Values are seeded, so a test can rebuild
 * the originals and compare them with what a client decoded.
 */
import { PNG } from 'pngjs';
import type { EirDatasetInfo, EirSample, EirSampleSource } from '../../../src/serve/eir/index.js';
import { prng } from '../../support/prng.js';

/** The dataset info of the seed, as EIR expects it. */
export const SEED_INFO: EirDatasetInfo = {
  inputs: {
    sequence_data: { type: 'sequence' },
    tabular_data: { type: 'tabular' },
    omics_data: { type: 'omics', shape: [4, 100] },
    image_data: { type: 'image', shape: [16, 16, 3] },
    array_data: { type: 'array', shape: [10, 5] },
  },
  outputs: {
    test_output: { type: 'tabular' },
    output_array: { type: 'array', shape: [5, 3] },
    output_image: { type: 'image', shape: [16, 16, 3] },
    output_sequence: { type: 'sequence' },
    output_survival: { type: 'survival' },
  },
};

/** The original values behind one sample, before encoding. */
export interface Originals {
  sequence: string;
  omics: Uint8Array; // 4×100, 0/1
  array: Float32Array; // 10×5
  image: Uint8Array; // 16×16×3 RGB
  column1: string;
  column2: number;
  testTarget: number;
  arrayOutput: Float32Array; // 5×3
  imageOutput: Uint8Array; // 16×16×3 RGB
  sequenceOutput: string;
  event: '0' | '1';
  time: number;
}

/** The original values of sample `index` (deterministic). */
export function originals(index: number): Originals {
  const rand = prng(1000 + index);
  const omics = new Uint8Array(4 * 100);
  // One-hot per SNP column, the convention for omics (4, n_SNPs).
  for (let snp = 0; snp < 100; snp++) omics[Math.floor(rand() * 4) * 100 + snp] = 1;
  const floats = (n: number): Float32Array => Float32Array.from({ length: n }, () => rand());
  const pixels = (): Uint8Array => Uint8Array.from({ length: 16 * 16 * 3 }, () => Math.floor(rand() * 255));
  return {
    sequence: `example sequence ${index}`,
    omics,
    array: floats(10 * 5),
    image: pixels(),
    column1: rand() < 0.5 ? 'Positive' : 'Negative',
    column2: Math.round(rand() * 1000) / 1000,
    testTarget: 1000 + index,
    arrayOutput: floats(5 * 3),
    imageOutput: pixels(),
    sequenceOutput: `generated sequence ${index}`,
    event: rand() < 0.5 ? '0' : '1',
    time: Math.round(rand() * 1000) / 100,
  };
}

/** Float32 bytes in little-endian C order, as numpy's `tobytes()` on x86-64, in base64. */
export function float32Base64(values: Float32Array): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => bytes.writeFloatLE(v, 4 * i));
  return bytes.toString('base64');
}

/** A real RGB PNG (colour type 2) of a 16×16×3 image, base64, as the seed's `_serialize_image`. */
export function pngBase64(rgb: Uint8Array, width = 16, height = 16): string {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    png.data[4 * p] = rgb[3 * p]!;
    png.data[4 * p + 1] = rgb[3 * p + 1]!;
    png.data[4 * p + 2] = rgb[3 * p + 2]!;
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: 2 }).toString('base64');
}

/** Builds sample `index` with id `id`, exactly in the shape of the seed's `generate_sample()`. */
export function buildSample(index: number, id: string): EirSample {
  const o = originals(index);
  return {
    inputs: {
      sequence_data: o.sequence,
      omics_data: Buffer.from(o.omics).toString('base64'),
      array_data: float32Base64(o.array),
      image_data: pngBase64(o.image),
      tabular_data: { column1: o.column1, column2: o.column2 },
    },
    target_labels: {
      test_output: { test_target: o.testTarget },
      output_array: { output_array: float32Base64(o.arrayOutput) },
      output_image: { output_image: pngBase64(o.imageOutput) },
      output_sequence: { output_sequence: o.sequenceOutput },
      output_survival: { Event: o.event, Time: o.time },
    },
    sample_id: id,
  };
}

/** Options of {@link MemorySource}. */
export interface MemorySourceOptions {
  /** Number of samples. */
  count: number;
  /** Maximum random delay per sample load, to make loading finish out of order. Default 0. */
  maxDelayMs?: number;
  /** Fixed delay per sample load. Default 0. */
  delayMs?: number;
  /** Ids whose load rejects. */
  failing?: ReadonlySet<string>;
  /** Pads every sample with a sequence input of this many characters (for back-pressure tests). */
  padBytes?: number;
}

/** The in-memory source; counts loads so tests can see what the server asked for. */
export class MemorySource implements EirSampleSource {
  /** Every id loaded, in the order loads started. */
  readonly loads: string[] = [];
  private readonly idList: string[];
  private readonly index = new Map<string, number>();
  private readonly cache = new Map<number, EirSample>();
  private readonly rand = prng(7);

  constructor(private readonly options: MemorySourceOptions) {
    this.idList = Array.from({ length: options.count }, (_, i) => `sample_${String(i).padStart(4, '0')}`);
    this.idList.forEach((id, i) => this.index.set(id, i));
  }

  info(): EirDatasetInfo {
    return SEED_INFO;
  }

  ids(): readonly string[] {
    return this.idList;
  }

  /** The index of an id (its originals are `originals(index)`). */
  indexOf(id: string): number {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`unknown id ${id}`);
    return i;
  }

  async sample(id: string): Promise<EirSample> {
    this.loads.push(id);
    const i = this.indexOf(id);
    const delay = (this.options.delayMs ?? 0) + this.rand() * (this.options.maxDelayMs ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (this.options.failing?.has(id)) throw new Error(`disk on fire reading ${id}`);
    let sample = this.cache.get(i);
    if (sample === undefined) {
      sample = buildSample(i, id);
      if (this.options.padBytes) sample.inputs['padding'] = 'x'.repeat(this.options.padBytes);
      this.cache.set(i, sample);
    }
    return sample;
  }
}
