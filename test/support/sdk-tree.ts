/** Shared fixtures of the SDK and tree tests: a manifest declaring every kind, and a good tree for it. */
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ndarray } from '../../src/ndarray/ndarray.js';
import { encodeNpy } from '../../src/ndarray/npy.js';
import { tempDir } from './temp.js';

/** One schema declaring every non-DICOM kind, used as both schema-in and schema-out. */
export const SCHEMA = {
  name: { type: 'string', maxLength: 20 },
  label: { enum: ['cat', 'dog'] },
  when: { type: 'date-time' },
  flag: { type: 'boolean' },
  count: { type: 'integer', minimum: 0, maximum: 1000 },
  ratio: { type: 'number' },
  score: { type: 'percentage', minimum: 0, maximum: 100 },
  note: { type: 'string', nullable: true },
  'report.pdf': { 'mime-type': 'application/pdf' },
  'image.png': { 'mime-type': 'image/png' },
  'photo.jpg': { 'mime-type': 'image/jpeg' },
  'notes.txt': { 'mime-type': 'text/plain' },
  blob: { 'mime-type': 'application/octet-stream' },
  'mask.npy': { type: 'ndarray', dtype: 'uint8', shape: [null, 2] },
  patient: {
    type: 'object',
    properties: {
      age: { type: 'integer' },
      sex: { enum: ['F', 'M'] },
      nickname: { type: 'string', nullable: true },
      extra: { type: 'object', properties: { height: { type: 'number' } } },
    },
  },
  scores: { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 5 },
  lesions: {
    type: 'array',
    items: { type: 'object', properties: { slice: { type: 'integer' }, area: { type: 'number' } } },
  },
  grid: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
  survival: { type: 'survival' },
} as const;

/** Writes `machine.json` declaring `schema` (default {@link SCHEMA}) on both sides; returns its path. */
export async function writeManifest(
  dir: string,
  schema: object = SCHEMA,
  schemaOut: object = schema,
): Promise<string> {
  const file = path.join(dir, 'machine.json');
  await writeFile(
    file,
    JSON.stringify({
      'metadata-version': 2,
      info: { name: 'berth-test' },
      'schema-in': schema,
      'schema-out': schemaOut,
    }),
  );
  return file;
}

/** A 2×2 PNG. */
export const PNG_BYTES: Buffer = PNG.sync.write(new PNG({ width: 2, height: 2 }));
/** A minimal PDF (enough for magic-byte detection). */
export const PDF_BYTES = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
/** A 2×2 JPEG. */
export const JPEG_BYTES: Buffer = jpeg.encode({ data: Buffer.alloc(16, 128), width: 2, height: 2 }, 90).data;
/** Plain text. */
export const NOTES_TEXT = 'plain notes\n';
/** Bytes of no recognisable type. */
export const BLOB_BYTES = Buffer.from([0, 1, 2, 3, 250, 251, 252, 253]);
/** The good tree's mask: uint8 [3, 2]. */
export const MASK = ndarray('uint8', [3, 2], [0, 1, 1, 0, 1, 1]);

/** The text files of the good tree, by path relative to the root. */
export const GOOD_TEXT: Record<string, string> = {
  name: 'Ada',
  label: 'cat\n',
  when: '2017-05-27T03:40:40Z',
  flag: 'True',
  count: '42',
  ratio: '3.5',
  score: '85%',
  'patient/age': '61',
  'patient/sex': 'F',
  'patient/extra/height': '1.8',
  'scores/0': '1',
  'scores/1': '2',
  'scores/2': '3',
  'lesions/0/slice': '4',
  'lesions/0/area': '1.5',
  'lesions/1/slice': '9',
  'lesions/1/area': '2',
  'grid/0/0': '1',
  'grid/0/1': '2',
  'grid/1/0': '3',
  'survival/event': 'True',
  'survival/time': '12.5',
};

/** Lays out a complete, valid tree for {@link SCHEMA} under `root` with plain fs calls (not the SDK). */
export async function writeGoodTree(root: string): Promise<void> {
  const files: [string, string | Uint8Array][] = [
    ...Object.entries(GOOD_TEXT),
    ['report.pdf', PDF_BYTES],
    ['image.png', PNG_BYTES],
    ['photo.jpg', JPEG_BYTES],
    ['notes.txt', NOTES_TEXT],
    ['blob', BLOB_BYTES],
    ['mask.npy', encodeNpy(MASK)],
  ];
  for (const [rel, data] of files) {
    const abs = path.join(root, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, data);
  }
}

/** A machine opened over fresh temporary trees: input (the good tree), output and status. */
export interface MachineFixture {
  dir: string;
  manifest: string;
  input: string;
  output: string;
  status: string;
}

/** Lays out a temporary machine: manifest, a good input tree, empty output and status paths. */
export async function machineFixture(prefix: string, schema: object = SCHEMA): Promise<MachineFixture> {
  const dir = await realpath(await tempDir(prefix));
  const input = path.join(dir, 'input');
  await writeGoodTree(input);
  return {
    dir,
    manifest: await writeManifest(dir, schema),
    input,
    output: path.join(dir, 'output'),
    status: path.join(dir, 'status'),
  };
}
