/**
 * Encapsulated pixel data (PS3.5 A.4): the fragments of the pixel data element and how they make
 * frames — by the Basic Offset Table, the Extended Offset Table (7FE0,0001/0002), one fragment per
 * frame, or (no table, more fragments than frames) by the start marker each frame's codestream
 * begins with (JPEG and JPEG-LS SOI FFD8, JPEG 2000 SOC+SIZ FF4F FF51), as pydicom and dcmtk split them.
 */
import type { BerthError } from '../errors.js';
import { openRegularHandle } from '../tree/open-regular.js';
import { dicomError } from './errors.js';
import { ITEM, readTag, readUint32, SEQUENCE_DELIMITATION } from './read-element.js';
import type { DicomHeader } from './header.js';

interface Fragment {
  /** Offset of the item header from the first fragment's (as offset tables count). */
  readonly pos: number;
  readonly start: number;
  readonly length: number;
}

const EXTENDED_OFFSET_TABLE = 0x7fe00001;
const EXTENDED_OFFSET_TABLE_LENGTHS = 0x7fe00002;

/** Reads the encapsulated pixel data from the file into memory (it runs to the end of the file or the delimiter). */
async function readTail(path: string, offset: number): Promise<Buffer> {
  const fh = await openRegularHandle(path);
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(Math.max(0, size - offset));
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, offset + n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/** The file ends before the pixel data's sequence delimiter. */
function endsInside(path: string): BerthError {
  return dicomError(
    'BERTH_E_TRUNCATED',
    path,
    'The file ends inside the encapsulated pixel data',
    'fragments ending with a sequence delimiter (FFFE,E0DD)',
  );
}

/**
 * Whether the item header (`tag`, `length`) read at `pos` is a fragment (false: the sequence
 * delimiter); throws unless it is an item of defined length that ends by `end`, the file's end.
 */
function isFragment(path: string, tag: number, length: number, pos: number, end: number): boolean {
  if (tag === SEQUENCE_DELIMITATION) return false;
  if (tag !== ITEM || length === 0xffffffff) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `Found tag ${tag.toString(16)} with length ${length} among the pixel data fragments`,
      'items of defined length (FFFE,E000)',
    );
  }
  if (pos + 8 + length > end) {
    throw dicomError(
      'BERTH_E_TRUNCATED',
      path,
      `A pixel data fragment of ${length} bytes runs past the end of the file`,
      'complete fragments',
    );
  }
  return true;
}

/** The items of the pixel data sequence: the offset table, then the fragments. */
function items(path: string, buf: Buffer): { table: Fragment; fragments: Fragment[] } {
  const found: Fragment[] = [];
  let pos = 0;
  for (;;) {
    if (pos + 8 > buf.length) throw endsInside(path);
    const length = readUint32(buf, pos + 4, true);
    if (!isFragment(path, readTag(buf, pos, true), length, pos, buf.length)) break;
    found.push({ pos, start: pos + 8, length });
    pos += 8 + length;
  }
  const [table, ...fragments] = found;
  if (!table)
    throw dicomError('BERTH_E_DICOM_PARSE', path, 'The encapsulated pixel data has no offset table item');
  const base = fragments[0]?.pos ?? 0;
  return { table, fragments: fragments.map((f) => ({ ...f, pos: f.pos - base })) };
}

/**
 * An offset table, when not empty, has one entry a frame (PS3.5 A.4): any other count misplaces
 * frames, or decodes one fragment again for each of a million entries.
 */
function checkTableEntries(path: string, table: 'Basic' | 'Extended', entries: number, frames: number): void {
  if (entries > 0 && entries !== frames) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `The ${table} Offset Table has ${entries} entries for ${frames} frames`,
      'one offset table entry a frame (NumberOfFrames)',
    );
  }
}

/**
 * Checks that the encapsulated pixel data of a scanned file is complete — every fragment whole and
 * the sequence delimiter present — reading only the 8-byte item headers, and that its offset table
 * (basic, else extended) has one entry a frame.
 * @throws {@link BerthError} BERTH_E_TRUNCATED, BERTH_E_DICOM_PARSE.
 */
export async function checkFragments(path: string, header: DicomHeader): Promise<void> {
  const pixel = header.pixelData;
  if (!pixel?.encapsulated || pixel.inDeflatedStream) return;
  const fh = await openRegularHandle(path);
  try {
    const head = Buffer.alloc(8);
    let pos = pixel.offset;
    for (;;) {
      const { bytesRead } = await fh.read(head, 0, 8, pos);
      if (bytesRead < 8) throw endsInside(path);
      const tag = readTag(head, 0, true);
      const length = readUint32(head, 4, true);
      if (pos === pixel.offset && tag === ITEM) {
        if (length > 0) checkTableEntries(path, 'Basic', Math.floor(length / 4), header.frames);
        else checkTableEntries(path, 'Extended', extendedOffsets(header)?.length ?? 0, header.frames);
      }
      if (!isFragment(path, tag, length, pos, header.fileSize)) return;
      pos += 8 + length;
    }
  } finally {
    await fh.close();
  }
}

/** Offsets of the Extended Offset Table, when the data set has one (8-byte little endian values). */
function extendedOffsets(header: DicomHeader): number[] | undefined {
  const el = header.elements().get(EXTENDED_OFFSET_TABLE);
  if (!el?.length || !header.elements().has(EXTENDED_OFFSET_TABLE_LENGTHS)) return undefined;
  const out: number[] = [];
  for (let p = el.offset; p + 8 <= el.offset + el.length; p += 8)
    out.push(Number(header.bytes.readBigUInt64LE(p)));
  return out;
}

/** True when a fragment begins a codestream (JPEG family SOI, JPEG 2000 SOC followed by SIZ). */
function startsFrame(buf: Buffer, f: Fragment): boolean {
  if (f.length < 4) return false;
  const a = buf[f.start]!;
  const b = buf[f.start + 1]!;
  if (a === 0xff && b === 0xd8) return true;
  return a === 0xff && b === 0x4f && buf[f.start + 2] === 0xff && buf[f.start + 3] === 0x51;
}

/**
 * The compressed frames of a scanned file with encapsulated pixel data.
 * @throws {@link BerthError} BERTH_E_TRUNCATED, BERTH_E_DICOM_PARSE.
 */
export async function readFrames(path: string, header: DicomHeader): Promise<Uint8Array[]> {
  const buf = await readTail(path, header.pixelData!.offset);
  const { table, fragments } = items(path, buf);
  const bytesOf = (group: readonly Fragment[]): Uint8Array =>
    group.length === 1
      ? buf.subarray(group[0]!.start, group[0]!.start + group[0]!.length)
      : Buffer.concat(group.map((f) => buf.subarray(f.start, f.start + f.length)));
  const count = header.frames;
  let offsets: number[] = [];
  for (let p = table.start; p + 4 <= table.start + table.length; p += 4)
    offsets.push(readUint32(buf, p, true));
  const basic = offsets.length > 0;
  if (!basic) offsets = extendedOffsets(header) ?? [];
  checkTableEntries(path, basic ? 'Basic' : 'Extended', offsets.length, count);
  if (offsets.length > 0) {
    return offsets.map((start, i) => {
      const stop = offsets[i + 1] ?? Infinity;
      return bytesOf(fragments.filter((f) => f.pos >= start && f.pos < stop));
    });
  }
  if (count === 1) return [bytesOf(fragments)];
  if (fragments.length === count) return fragments.map((f) => bytesOf([f]));
  const groups: Fragment[][] = [];
  for (const f of fragments) {
    if (groups.length === 0 || startsFrame(buf, f)) groups.push([f]);
    else groups[groups.length - 1]!.push(f);
  }
  if (groups.length !== count) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `${fragments.length} fragments cannot be split into ${count} frames: no offset table, and ${groups.length} of them begin a codestream`,
      'a basic or extended offset table, one fragment per frame, or fragments that begin with a codestream marker',
    );
  }
  return groups.map(bytesOf);
}
