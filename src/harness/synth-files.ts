/**
 * Synthetic files and ndarrays: real content for the media types in ./synth-tree.ts's module
 * comment, random bytes for types berth takes on trust.
 */
import zlib from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { supportedMimeTypes } from 'file-type';
import { synthInstances } from '../dicom/synth.js';
import { TS } from '../dicom/transfer-syntax.js';
import { encodePart10 } from '../dicom/write.js';
import type { Property } from '../kinds/property.js';
import { ndarray } from '../ndarray/ndarray.js';
import { synthUnsupported, type Rand } from './synth-support.js';
import { ndarraySpecOf } from '../kinds/ndarray.js';
import { mimeTypeOf } from '../kinds/file.js';

function pngBytes(rand: Rand): Uint8Array {
  const png = new PNG({ width: 16, height: 16 });
  const shift = Math.floor(rand() * 256);
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      const o = (y * 16 + x) * 4;
      png.data[o] = (x * 16 + shift) & 255;
      png.data[o + 1] = y * 16;
      png.data[o + 2] = 128;
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

function jpegBytes(rand: Rand): Uint8Array {
  const width = 16;
  const height = 16;
  const data = Buffer.alloc(width * height * 4);
  const shift = Math.floor(rand() * 256);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = (i + shift) & 255;
    data[i * 4 + 1] = (i * 3) & 255;
    data[i * 4 + 2] = 100;
    data[i * 4 + 3] = 255;
  }
  return jpeg.encode({ data, width, height }, 80).data;
}

/** A minimal valid PDF: one page with one line of text, with a correct cross-reference table. */
export function pdfBytes(text: string): Uint8Array {
  const safe = text.replace(/[()\\]/g, '');
  const content = `BT /F1 12 Tf 36 100 Td (${safe}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) body += `${String(o).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A zip holding one stored (uncompressed) text file. */
function zipBytes(name: string, content: string): Uint8Array {
  const data = Buffer.from(content, 'utf8');
  const file = Buffer.from(name, 'utf8');
  const crc = zlib.crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(file.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(file.length, 28);
  const centralAt = local.length + file.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + file.length, 12);
  end.writeUInt32LE(centralAt, 16);
  return Buffer.concat([local, file, data, central, file, end]);
}

// The smallest GIF: 1 × 1, one colour.
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=', 'base64');

/** The bytes of a synthetic file of the property's media type. */
export function synthFile(p: Property, rand: Rand, seed: string): Uint8Array {
  const mime = (mimeTypeOf(p) ?? 'application/octet-stream').toLowerCase();
  switch (mime) {
    case 'image/png':
    case 'image/x-png':
      return pngBytes(rand);
    case 'image/jpeg':
    case 'image/jpg':
    case 'image/pjpeg':
      return jpegBytes(rand);
    case 'image/gif':
      return GIF;
    case 'application/pdf':
    case 'application/x-pdf':
      return pdfBytes(`berth synthetic ${p.name}`);
    case 'application/zip':
    case 'application/x-zip-compressed':
      return zipBytes('synthetic.txt', `berth synthetic ${p.name}\n`);
    case 'application/dicom': {
      const [inst] = synthInstances({ seed, instances: 1, rows: 32, columns: 32 });
      return encodePart10(inst!.elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
    }
    case 'application/json':
      return Buffer.from(`{"synthetic": true, "property": ${JSON.stringify(p.name)}}\n`);
  }
  if (mime.startsWith('text/')) {
    return Buffer.from(mime === 'text/csv' ? 'a,b\n1,2\n' : `berth synthetic ${p.name}\n`, 'utf8');
  }
  if (mime !== 'application/octet-stream' && (supportedMimeTypes as ReadonlySet<string>).has(mime)) {
    throw synthUnsupported(p, `berth cannot make a ${mime} file (it only checks that type's magic bytes)`);
  }
  const bytes = new Uint8Array(64);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  bytes[0] = 0x42; // never a recognisable magic number by accident
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// ndarrays

/** A synthetic ndarray of the property's dtype and shape (free extents: 2–4). */
export function synthNdarray(p: Property, rand: Rand) {
  const spec = ndarraySpecOf(p);
  const dtype = spec.dtype ?? 'float32';
  const shape = (spec.shape ?? [4, 4]).map((n) => n ?? 2 + Math.floor(rand() * 3));
  const size = shape.reduce((a, b) => a * b, 1) * (dtype.startsWith('complex') ? 2 : 1);
  const values: number[] = [];
  for (let i = 0; i < size; i++) {
    const r = rand();
    if (dtype === 'bool') values.push(r < 0.5 ? 0 : 1);
    else if (dtype.startsWith('uint')) values.push(Math.floor(r * 100));
    else if (dtype.startsWith('int')) values.push(Math.floor(r * 100) - 50);
    else values.push(Math.round((r * 2 - 1) * 1000) / 1000);
  }
  return ndarray(dtype, shape, values);
}
